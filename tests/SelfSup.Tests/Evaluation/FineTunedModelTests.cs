using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Evaluation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

[Collection(GlobalRngCollection.Name)]
public class FineTunedModelTests
{
    public FineTunedModelTests() => TorchRuntime.Initialize();

    static readonly ChannelStats Stats = new([0.4f, 0.4f, 0.4f], [0.25f, 0.25f, 0.25f]);

    static Vit TwoBlockVit(VitPool pool, long seed = 0)
    {
        manual_seed(seed);
        return new Vit(new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 16, Depth: 2, Heads: 2, Positions: VitPositions.Learned, Pool: pool));
    }

    /// <summary>A model around <paramref name="encoder"/> whose fc_norm (if any) has random gain and shift.</summary>
    static FineTunedModel Wrap(Encoder encoder, bool globalPool = false)
    {
        LayerNorm? fcNorm = null;
        if (FineTunedModel.UsesFcNorm(encoder, globalPool))
        {
            fcNorm = nn.LayerNorm(encoder.EmbeddingDim, eps: TransformerBlock.LayerNormEps);
            using var noGrad = no_grad();
            fcNorm.weight!.copy_(randn(encoder.EmbeddingDim));
            fcNorm.bias!.copy_(randn(encoder.EmbeddingDim));
        }
        return new FineTunedModel(encoder, fcNorm, nn.Linear(encoder.EmbeddingDim, 3), FineTuneStages.Of(encoder), 0);
    }

    [Theory]
    [InlineData(VitPool.Mean, false)]
    [InlineData(VitPool.Cls, true)] // MAE and BEiT fine-tune a CLS-probed ViT on its mean patch token (global pool)
    public void MeanPooledVit_IsHeadOfFcNormOfTheMeanPatchTokenBeforeTheFinalNorm(VitPool pool, bool globalPool)
    {
        using var model = Wrap(TwoBlockVit(pool), globalPool);
        model.SetEvalMode();
        using var scope = NewDisposeScope();
        var x = randn(3, 3, 8, 8);
        var vit = (Vit)model.Encoder;
        var (patches, _, _) = vit.EmbedPatches(x);                                              // [B, 4, D]
        var cls = vit.state_dict()["cls_token"].expand(3, -1, -1);                              // [B, 1, D]
        var t = cat([cls, patches], 1);                                                         // [B, 5, D]
        foreach (var block in vit.named_modules().Where(m => m.name is "blocks.0" or "blocks.1").Select(m => (TransformerBlock)m.module))
            t = block.call(t);
        var m = t.narrow(1, 1, 4).mean([1]);                                                   // [B, D], CLS left out
        var mu = m.mean([1], keepdim: true);
        var variance = (m - mu).pow(2).mean([1], keepdim: true);
        var n = (m - mu) / (variance + 1e-6).sqrt() * model.FcNorm!.weight! + model.FcNorm.bias!; // [B, D]
        var expected = n.matmul(model.Head.weight!.t()) + model.Head.bias!;                     // [B, 3]
        var logits = model.Forward(x);
        Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-5), "forward is not head(fc_norm(mean(tokens before the final norm)))");
        // The encoder's own pooled embedding (mean after the final norm) gives other logits: the path matters.
        Assert.False(model.Head.call(model.Encoder.call(x)).allclose(expected, rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void MeanPooledVit_GradientsReachFcNormAndEveryBlock_ButNotTheUnusedFinalNorm()
    {
        using var model = Wrap(TwoBlockVit(VitPool.Mean));
        model.SetTrainingMode();
        using var scope = NewDisposeScope();
        model.Forward(randn(4, 3, 8, 8)).pow(2).sum().backward();
        var encoder = model.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var p in new[] { model.FcNorm!.weight!, model.FcNorm.bias!, encoder["blocks.0.attn.qkv.weight"], encoder["blocks.1.mlp.fc2.weight"], encoder["cls_token"], encoder["patch_embed.weight"] })
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.True(encoder["norm.weight"].grad is null || encoder["norm.weight"].grad!.abs().sum().item<float>() == 0);
    }

    [Theory]
    [InlineData("vit")]
    [InlineData("convnet")]
    public void ClsPooledVitsAndCnns_FeedTheEncodersEmbeddingToTheHead(string kind)
    {
        using var model = Wrap(kind == "vit" ? TwoBlockVit(VitPool.Cls) : EncoderRegistry.Create("convnet", new EncoderOptions(3, 8, Width: 4)));
        model.SetEvalMode();
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 8, 8);
        Assert.Null(model.FcNorm);
        Assert.True(model.Forward(x).allclose(model.Head.call(model.Encoder.call(x))));
    }

    [Fact]
    public void FineTuningAMeanPooledVit_TrainsFcNorm_AndRestoresItWithTheBestEpoch()
    {
        using var data = EvalData.ColourClasses(80, 4);
        using var pretrained = TwoBlockVit(VitPool.Mean, seed: 1);
        var options = new FineTuneOptions
        {
            Epochs = 6,
            MinSteps = 0,
            BatchSize = 16,
            LearningRate = 0.05,
            ValidationFraction = 0.25,
            Patience = 3,
            Seed = 3,
        };
        using var model = FineTuner.Fit(() => TwoBlockVit(VitPool.Mean, seed: 2), pretrained, data, Stats, options);
        Assert.NotNull(model.FcNorm);
        Assert.False(model.FcNorm!.weight!.eq(1).all().item<bool>(), "fc_norm did not train");
        // The encoder's final norm is bypassed: it keeps the pretrained values.
        Assert.True(model.Encoder.state_dict()["norm.weight"].eq(pretrained.state_dict()["norm.weight"]).all().item<bool>());
        // The restored model (fc_norm included) scores exactly what the best epoch scored on the same validation rows.
        var (_, valRows) = FineTuner.SplitValidation(data.Labels!, 0.25, options.Seed);
        using var val = data.Subset(valRows);
        var (top1, loss) = model.Score(val, Stats);
        Assert.Equal(model.History[model.BestEpoch].ValTop1!.Value, top1, 6);
        Assert.Equal(model.History[model.BestEpoch].ValLoss!.Value, loss, 4);
    }
}
