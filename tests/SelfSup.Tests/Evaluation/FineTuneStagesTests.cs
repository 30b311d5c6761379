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
