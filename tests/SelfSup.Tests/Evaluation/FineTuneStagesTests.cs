using SelfSup.Encoders;
using SelfSup.Evaluation;

namespace SelfSup.Tests.Evaluation;

public class FineTuneStagesTests
{
    public FineTuneStagesTests() => TorchRuntime.Initialize();

    [Fact]
    public void ResNet_SplitsIntoStemAndFourLayers()
    {
        using var encoder = EncoderRegistry.Create("resnet18", new EncoderOptions(3, 32, Width: 4));
        var stages = FineTuneStages.Of(encoder);
        Assert.Equal(new[] { "stem", "layer1", "layer2", "layer3", "layer4" }, stages.Select(s => s.Name));
        Assert.Equal(new[] { "conv1", "bn1" }, stages[0].Prefixes);
        Assert.Equal(0, FineTuneStages.IndexOf(stages, "bn1.running_mean"));
        Assert.Equal(3, FineTuneStages.IndexOf(stages, "layer3.0.downsample.0.weight"));
    }

    [Fact]
    public void ConvNet_SplitsIntoFiveConvBnBlocks()
    {
        using var encoder = EncoderRegistry.Create("convnet", new EncoderOptions(1, 28, Width: 4));
        var stages = FineTuneStages.Of(encoder);
        Assert.Equal(new[] { "block1", "block2", "block3", "block4", "block5" }, stages.Select(s => s.Name));
        Assert.Equal(new[] { "features.conv3", "features.bn3" }, stages[2].Prefixes);
    }

    [Fact]
    public void EightLayerConvNet_HasEightBlocks()
    {
        using var encoder = EncoderRegistry.Create("convnet8", new EncoderOptions(1, 28, Width: 4));
        var stages = FineTuneStages.Of(encoder);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"block{i}"), stages.Select(s => s.Name));
    }

    [Fact]
    public void EveryParameter_BelongsToExactlyOneStage()
    {
        foreach (var name in EncoderRegistry.Names)
        {
            using var encoder = EncoderRegistry.Create(name, new EncoderOptions(3, 32, Width: 4));
            var stages = FineTuneStages.Of(encoder);
            foreach (var (param, _) in encoder.named_parameters())
                Assert.Equal(1, stages.Count(s => s.Contains(param)));
        }
    }

    static Vit FourBlockVit(VitPositions positions = VitPositions.Learned) =>
        new(new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 16, Depth: 4, Heads: 2, Positions: positions));

    [Fact]
    public void Vit_HasAnEmbeddingStage_OneStagePerBlock_AndTheFinalNormLast()
    {
        using var vit = FourBlockVit();
        var stages = FineTuneStages.Of(vit);
        Assert.Equal(new[] { "embed", "block1", "block2", "block3", "block4", "norm" }, stages.Select(s => s.Name));
        Assert.Equal(new[] { "cls_token", "pos_embed", "patch_embed" }, stages[0].Prefixes);
        var expected = new Dictionary<string, int>
        {
            ["cls_token"] = 0,
            ["pos_embed"] = 0,
            ["patch_embed.weight"] = 0,
            ["patch_embed.bias"] = 0,
            ["blocks.0.norm1.weight"] = 1,
            ["blocks.0.attn.qkv.weight"] = 1,
            ["blocks.1.mlp.fc1.bias"] = 2,
            ["blocks.2.attn.proj.weight"] = 3,
            ["blocks.3.mlp.fc2.weight"] = 4,
            ["blocks.3.norm2.bias"] = 4,
            ["norm.weight"] = 5,
            ["norm.bias"] = 5,
        };
        var names = vit.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var (name, stage) in expected)
        {
            Assert.Contains(name, names);
            Assert.Equal(stage, FineTuneStages.IndexOf(stages, name));
        }
        // MAE / BEiT: the final norm sits at the head's layer id L + 1 = 5, the embedding at 0.
        Assert.True(stages[^1].SharesHeadLayer);
        Assert.Equal(5, FineTuneStages.HeadLayerId(stages));
    }

    [Fact]
    public void VitWithFixedPositions_PutsThePositionBufferInTheEmbeddingStage()
    {
        using var vit = FourBlockVit(VitPositions.SinCos);
        var stages = FineTuneStages.Of(vit);
        Assert.Equal(new[] { "cls_token", "patch_embed", "pos_embed_fixed" }, stages[0].Prefixes);
        Assert.Equal(0, FineTuneStages.IndexOf(stages, "pos_embed_fixed"));
    }

    [Fact]
    public void TwelveBlockVit_KeepsBlock1AndBlock10Apart()
    {
        using var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 4, PatchSize: 4, Dim: 8, Depth: 12, Heads: 1));
        var stages = FineTuneStages.Of(vit);
        Assert.Equal(14, stages.Count);
        Assert.Equal(2, FineTuneStages.IndexOf(stages, "blocks.1.attn.qkv.weight"));
        Assert.Equal(11, FineTuneStages.IndexOf(stages, "blocks.10.attn.qkv.weight"));
        Assert.Equal(12, FineTuneStages.IndexOf(stages, "blocks.11.mlp.fc2.bias"));
    }

    [Fact]
    public void VitLayerDecay_GivesHeadRateTimesDecayToTheLPlusOneMinusLayerId()
    {
        using var vit = FourBlockVit();
        var stages = FineTuneStages.Of(vit);
        var lrs = FineTuneStages.LearningRates(stages, frozenStages: 0, headLr: 1e-3, backboneFactor: 0.1, layerDecay: 0.75);
        // L = 4: ids 0 (embed) … 5 (final norm, at the head's id), rate = 1e-3 × 0.75^(5 − id).
        var expected = new[] { 1e-3 * 0.2373046875, 1e-3 * 0.31640625, 1e-3 * 0.421875, 1e-3 * 0.5625, 1e-3 * 0.75, 1e-3 };
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], lrs[i], 15);
    }

    [Fact]
    public void Cnn_HeadSitsOneAboveTheLastStage()
    {
        using var encoder = EncoderRegistry.Create("convnet", new EncoderOptions(1, 28, Width: 4));
        var stages = FineTuneStages.Of(encoder);
        Assert.DoesNotContain(stages, s => s.SharesHeadLayer);
        Assert.Equal(5, FineTuneStages.HeadLayerId(stages));
        Assert.Equal(FineTuneStages.LearningRates(5, 0, 1e-3, 0.1, 0.5), FineTuneStages.LearningRates(stages, 0, 1e-3, 0.1, 0.5));
    }

    [Fact]
    public void LayerDecay_GivesHeadRateTimesDecayToTheDepthFromTheTop()
    {
        // 5 stages, the first frozen, head lr 1e-3, decay 0.5: depth from the top is 5 − s.
        var lrs = FineTuneStages.LearningRates(5, frozenStages: 1, headLr: 1e-3, backboneFactor: 0.1, layerDecay: 0.5);
        var expected = new[] { 0, 1e-3 / 16, 1e-3 / 8, 1e-3 / 4, 1e-3 / 2 };
        for (var i = 0; i < 5; i++) Assert.Equal(expected[i], lrs[i], 15);
    }

    [Fact]
    public void WithoutLayerDecay_EveryTrainableStageGetsTheBackboneFactor()
    {
        var lrs = FineTuneStages.LearningRates(4, frozenStages: 2, headLr: 0.02, backboneFactor: 0.1, layerDecay: null);
        Assert.Equal(new[] { 0, 0, 0.002, 0.002 }, lrs.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void FreezingMoreStagesThanExist_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => FineTuneStages.LearningRates(5, 6, 1e-3, 0.1, null));
        Assert.Contains("expected 0..5, got 6", e.Message);
    }
}
