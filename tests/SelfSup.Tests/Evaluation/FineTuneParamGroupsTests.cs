using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class FineTuneParamGroupsTests
{
    public FineTuneParamGroupsTests() => TorchRuntime.Initialize();

    static FineTunedModel FourBlockModel(VitPool pool, int frozenStages = 0)
    {
        var vit = new Vit(new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 16, Depth: 4, Heads: 2,
            Positions: VitPositions.Learned, Pool: pool));
        var fcNorm = FineTunedModel.UsesFcNorm(vit) ? nn.LayerNorm(16, eps: TransformerBlock.LayerNormEps) : null;
        return new FineTunedModel(vit, fcNorm, nn.Linear(16, 3), FineTuneStages.Of(vit), frozenStages);
    }

    static FineTuneParamGroup GroupOf(IReadOnlyList<FineTuneParamGroup> groups, string name) => Assert.Single(groups, g => g.Names.Contains(name));

    [Fact]
    public void VitParameters_GetTheHeadRateTimesDecayToTheLPlusOneMinusLayerId()
    {
        using var model = FourBlockModel(VitPool.Cls);
        var groups = FineTuneParamGroups.Of(model, new FineTuneOptions { LearningRate = 1e-3, LayerDecay = 0.75 });
        // L = 4 blocks; layer ids: embedding 0, block i (0-based) i + 1, final norm and head 5.
        var expected = new Dictionary<string, double>
        {
            ["encoder.cls_token"] = 0.2373046875,
            ["encoder.pos_embed"] = 0.2373046875,
            ["encoder.patch_embed.weight"] = 0.2373046875,
            ["encoder.blocks.0.attn.qkv.weight"] = 0.31640625,
            ["encoder.blocks.2.mlp.fc1.bias"] = 0.5625,
            ["encoder.blocks.3.norm2.weight"] = 0.75,
            ["encoder.norm.weight"] = 1,
            ["head.weight"] = 1,
            ["head.bias"] = 1,
        };
        foreach (var (name, scale) in expected) Assert.Equal(1e-3 * scale, GroupOf(groups, name).LearningRate, 15);
        // Every parameter is in exactly one group.
        Assert.Equal(model.Encoder.parameters().Count() + 2, groups.Sum(g => g.Parameters.Count));
    }

    [Fact]
    public void WeightDecay_SkipsBiasesNormsTokensAndPositions()
    {
        using var model = FourBlockModel(VitPool.Mean);
        var groups = FineTuneParamGroups.Of(model, new FineTuneOptions { WeightDecay = 0.05, LayerDecay = 0.65 });
        foreach (var name in new[] { "encoder.patch_embed.weight", "encoder.blocks.1.attn.qkv.weight", "encoder.blocks.3.mlp.fc2.weight", "head.weight" })
            Assert.Equal(0.05, GroupOf(groups, name).WeightDecay);
        foreach (var name in new[] { "encoder.cls_token", "encoder.pos_embed", "encoder.patch_embed.bias", "encoder.blocks.1.norm1.weight",
                                     "encoder.blocks.1.attn.qkv.bias", "encoder.norm.weight", "fc_norm.weight", "fc_norm.bias", "head.bias" })
            Assert.Equal(0, GroupOf(groups, name).WeightDecay);
    }

    [Fact]
    public void FcNorm_TrainsWithTheLastStage_AtTheHeadRateUnderLayerDecay()
    {
        using var model = FourBlockModel(VitPool.Mean);
        var decayed = FineTuneParamGroups.Of(model, new FineTuneOptions { LearningRate = 2e-3, LayerDecay = 0.65 });
        Assert.Equal(2e-3, GroupOf(decayed, "fc_norm.weight").LearningRate, 15);
        Assert.Same(GroupOf(decayed, "encoder.norm.bias"), GroupOf(decayed, "fc_norm.bias"));
        var plain = FineTuneParamGroups.Of(model, new FineTuneOptions { LearningRate = 2e-3, BackboneLrFactor = 0.1 });
        Assert.Equal(2e-4, GroupOf(plain, "fc_norm.weight").LearningRate, 15);
    }

    [Fact]
    public void FrozenStages_AreLeftOut_AndFreezingEveryStageFreezesFcNorm()
    {
        using var model = FourBlockModel(VitPool.Mean, frozenStages: 6);
        var groups = FineTuneParamGroups.Of(model, new FineTuneOptions { FrozenStages = 6 });
        Assert.Equal(new[] { "head.weight", "head.bias" }, groups.SelectMany(g => g.Names));
        Assert.All(model.FcNorm!.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void TokensAndPositions_AreRecognisedByName_NotOnlyByShape()
    {
        using var tokens = zeros(1, 1, 4);
        Assert.False(FineTuneParamGroups.TakesWeightDecay("cls_token", tokens));
        Assert.False(FineTuneParamGroups.TakesWeightDecay("encoder.mask_token", tokens));
        Assert.False(FineTuneParamGroups.TakesWeightDecay("pos_embed", tokens));
        Assert.True(FineTuneParamGroups.TakesWeightDecay("blocks.0.attn.qkv.weight", tokens));
        using var bias = zeros(4);
        Assert.False(FineTuneParamGroups.TakesWeightDecay("blocks.0.attn.qkv.bias", bias));
    }
}
