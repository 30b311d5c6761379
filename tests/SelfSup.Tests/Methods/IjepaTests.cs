using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.Encoders;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class IjepaTests
{
    static readonly IjepaOptions SmallPredictor = new() { PredictorDim = 16, PredictorDepth = 1, PredictorHeads = 2 };

    static Ijepa Make(IjepaOptions? options = null)
    {
        manual_seed(0);
        // 16×16 images, 2×2 patches: an 8×8 grid of 64 tokens.
        var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 2, Dim: 16, Depth: 1, Heads: 2, Pool: VitPool.Mean, ClassToken: false));
        return new Ijepa(vit, options ?? SmallPredictor);
    }

    [Fact]
    public void TargetEncoder_StartsAsACopy_AndGetsNoGradient()
    {
        using var ijepa = Make();
        var student = ijepa.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in ijepa.TargetEncoder.named_parameters())
        {
            Assert.False(p.requires_grad, $"target parameter {name} requires grad");
            TensorAssert.Close(student[name], p, 0, name);
        }
        using var x = randn(3, 1, 16, 16, generator: new Generator(1));
        var result = ijepa.Step(x);
        result.Loss.backward();
        foreach (var (name, p) in ijepa.TargetEncoder.named_parameters()) Assert.Null(p.grad);
    }

    [Fact]
    public void Gradients_ReachContextEncoderAndPredictor()
    {
        using var ijepa = Make();
        using var x = randn(3, 1, 16, 16, generator: new Generator(1));
        var result = ijepa.Step(x);
        result.Loss.backward();
        var trainable = ijepa.named_parameters().Where(p => !p.name.StartsWith("target_encoder.")).ToList();
        Assert.Contains(trainable, p => p.name.StartsWith("predictor."));
        Assert.Contains(trainable, p => p.name.StartsWith("encoder."));
        foreach (var (name, p) in trainable)
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void TargetEncoder_FollowsTheEmaFormula_WithLinearMomentum()
    {
        using var ijepa = Make();
        var student = ijepa.Encoder.named_parameters().First(p => p.name == "patch_embed.bias").parameter;
        var teacher = ijepa.TargetEncoder.named_parameters().First(p => p.name == "patch_embed.bias").parameter;
        using (no_grad())
        {
            student.fill_(1f);
            teacher.fill_(3f);
        }
        // step 25 of 100: m = 0.996 + (1 − 0.996) · 0.25 = 0.997; target = 0.997 · 3 + 0.003 · 1 = 2.994.
        Assert.Equal(0.997, ijepa.Momentum(25, 100), 12);
        ijepa.AfterOptimizerStep(StepContext.Single(25, 100));
        Assert.Equal(2.994f, teacher.mean().item<float>(), 5);
        Assert.Equal(0f, (teacher.max() - teacher.min()).item<float>());
        Assert.Equal(1f, student.mean().item<float>());
        Assert.Equal(0.996, ijepa.Momentum(0, 100), 12);
        Assert.Equal(1.0, ijepa.Momentum(100, 100), 12);
    }

    [Fact]
    public void Loss_IsZero_WhenPredictionEqualsTargets_AndSmoothL1OrTheMeanSquaredDistanceOtherwise()
    {
        using var target = tensor(new float[] { 1, 2, 3, 4, /**/ -1, 0, 0, 1 }).view(2, 1, 4); // 2 blocks, 1 token, D = 4
        using var same = Ijepa.Loss(target.clone(), target);
        Assert.Equal(0f, same.item<float>());
        using var pred = tensor(new float[] { 1, 2, 3, 6, /**/ -1, 0, 0.5f, 1 }).view(2, 1, 4);
        // errors 2 and 0.5 over 8 elements. Smooth L1: (2 − ½) + ½·0.5² = 1.625 → 0.203125; squared: 4 + 0.25 → 0.53125.
        using var smooth = Ijepa.Loss(pred, target);
        Assert.Equal(0.203125f, smooth.item<float>(), 6);
        using var mse = Ijepa.Loss(pred, target, JepaLoss.Mse);
        Assert.Equal(0.53125f, mse.item<float>(), 6);
    }

    [Fact]
    public void ContextTokens_ExcludeEveryTargetPosition()
    {
        using var ijepa = Make();
        using var x = randn(4, 1, 16, 16);
        using var f = ijepa.Forward(x, new Generator(5));
        var m = ijepa.Options.Targets;
        Assert.Equal(4L * m, f.TargetIndices.shape[0]);
        Assert.Equal(new long[] { 4L * m, f.TargetIndices.shape[1], 16 }, f.Prediction.shape);
        Assert.Equal(f.Prediction.shape, f.Target.shape);
        Assert.Equal(new long[] { 4, f.ContextIndices.shape[1], 16 }, f.Context.shape);         // no CLS
        for (int b = 0; b < 4; b++)
        {
            var context = f.ContextIndices[b].data<long>().ToHashSet();
            for (int j = 0; j < m; j++)
                Assert.Empty(context.Intersect(f.TargetIndices[b * m + j].data<long>()));
        }
    }

    [Fact]
    public void TruncatedIndices_KeepTheFirstSetTokens_UpToTheSmallestCount()
    {
        using var mask = tensor(new bool[] { true, false, true, true, /**/ false, true, false, true }).view(2, 4);
        using var idx = Ijepa.TruncatedIndices(mask, "context");
        Assert.Equal(new long[] { 0, 2, /**/ 1, 3 }, idx.data<long>().ToArray());
        using var empty = zeros(1, 4, dtype: ScalarType.Bool);
        Assert.Contains("no context token", Assert.Throws<InvalidOperationException>(() => Ijepa.TruncatedIndices(empty, "context")).Message);
    }

    [Fact]
    public void Targets_AreLayerNormalisedEmbeddingsOfTheFullImage()
    {
        using var ijepa = Make();
        using var x = randn(2, 1, 16, 16);
        using var idx = tensor(new long[] { 0, 9, /**/ 63, 1 }).view(2, 2);
        using var t = ijepa.Targets(x, idx, blocks: 1);
        Assert.False(t.requires_grad);
        using var mean = t.mean([-1]);
        TensorAssert.Close(zeros(2, 2), mean, 1e-5, "per-token mean");
        using var full = ijepa.TargetEncoder.ForwardFeatures(x).detach();                     // [2, 64, 16]: no CLS
        using var token = nn.functional.layer_norm(full[1, 63], [16]);                         // sample 1, token 63
        TensorAssert.Close(token, t[1, 0], 1e-5, "token 63 of sample 1");
    }

    [Fact]
    public void Encoder_GetsTheReferenceDepthScaledInit()
    {
        var options = new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 2, Dim: 16, Depth: 3, Heads: 2, Pool: VitPool.Mean, ClassToken: false);
        manual_seed(0);
        using var plain = new Vit(options);
        manual_seed(0);
        using var ijepa = new Ijepa(new Vit(options), SmallPredictor);
        var scaled = ijepa.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in plain.named_parameters())
        {
            var layer = name.StartsWith("blocks.", StringComparison.Ordinal) ? int.Parse(name.Split('.')[1]) + 1 : 0;
            var rescaled = name.EndsWith("attn.proj.weight", StringComparison.Ordinal) || name.EndsWith("mlp.fc2.weight", StringComparison.Ordinal);
            var factor = rescaled ? 1 / Math.Sqrt(2.0 * layer) : 1.0;
            TensorAssert.Close(p * factor, scaled[name], 1e-6, name);
        }
    }

    [Fact]
    public void NonVitEncoder_IsRejectedWithTheReason() =>
        Assert.Contains("ViT", Assert.Throws<ArgumentException>(() => new Ijepa(new TinyEncoder(), new IjepaOptions())).Message);

    [Fact]
    public void VitWithClsToken_IsRejected_AndTheRegistryBuildsTheNoClsVariant()
    {
        using var withCls = new Vit(new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 2, Dim: 16, Depth: 1, Heads: 2));
        Assert.Contains("no CLS", Assert.Throws<ArgumentException>(() => new Ijepa(withCls, SmallPredictor)).Message);
        var info = MethodRegistry.Get("ijepa");
        Assert.Equal("vit-tiny/p4/d4/nocls", info.EncoderName("vit-tiny/p4/d4"));
        Assert.Equal("vit-tiny/p4/nocls", info.EncoderName("vit-tiny/p4/nocls"));
        using var vit = (Vit)EncoderRegistry.Create(info.EncoderName("vit-tiny/p2/d1"), new EncoderOptions(1, 8, 16, null));
        Assert.False(vit.Options.ClassToken);
        Assert.DoesNotContain(vit.named_parameters(), p => p.name == "cls_token");
        using var x = randn(2, 1, 8, 8);
        using var tokens = vit.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 16, 16 }, tokens.shape);                                   // 4×4 patch tokens, no CLS
        using var pooled = vit.forward(x);
        TensorAssert.Close(tokens.mean([1]), pooled, 1e-6, "mean of all tokens");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Contexts_KeepAtLeastTheMinimum_OnSmallGrids(int grid)
    {
        // On 7×7 and 8×8 grids four targets of 15–20 % can cover the context block; the sampler must re-place and relax.
        using var masks = Masking.MultiBlock(256, grid, grid, new Generator(3), CPU, targets: 4, minContext: 10);
        using var kept = masks.Context.sum([1]);
        Assert.True(kept.min().item<long>() >= 10, $"a context kept {kept.min().item<long>()} tokens");
        using var targetSizes = masks.Targets.sum([2]);
        Assert.True(targetSizes.max().item<long>() < grid * grid, "a target block covers the whole grid");
    }

    [Fact]
    public void Registry_ListsIjepa_WithPaperDefaults_AndOneCropView()
    {
        var info = MethodRegistry.Get("ijepa");
        Assert.Contains("Assran", info.Paper);
        var o = OptionBinder.Bind(new IjepaOptions(), new Dictionary<string, string> { ["predictor_depth"] = "3", ["momentum_start"] = "0.99" }, "ijepa");
        Assert.Equal((3, 0.99), (o.PredictorDepth, o.MomentumStart));
        var d = new IjepaOptions();
        Assert.Equal((384, 12, 4, 0.996, 1.0), (d.PredictorDim, d.PredictorDepth, d.Targets, d.MomentumStart, d.MomentumEnd));
        using var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 8, PatchSize: 2, Dim: 16, Depth: 1, Heads: 2));
        var views = info.CreateViews(new MethodContext(vit, () => throw new NotSupportedException(), 8, 1, new ChannelStats([0.5f], [0.5f]), new Dictionary<string, string>()));
        using var images = randint(0, 256, [3, 1, 8, 8], dtype: ScalarType.Byte);
        var v = views.Apply(images, new Generator(4));
        Assert.Single(v);
        Assert.Equal(new long[] { 3, 1, 8, 8 }, v[0].shape);
    }

    [Fact]
    public void VitName_WithMean_PoolsThePatchTokens_ForIjepaProbes()
    {
        using var vit = (Vit)EncoderRegistry.Create("vit-tiny/p2/d1/mean", new EncoderOptions(1, 8, 16, null));
        Assert.Equal(VitPool.Mean, vit.Options.Pool);
        using var tokens = arange(2 * 3 * 16, dtype: ScalarType.Float32).view(2, 3, 16); // CLS, then 2 patch tokens
        using var pooled = vit.Pool(tokens);
        using var expected = tokens.narrow(1, 1, 2).mean([1]);
        TensorAssert.Close(expected, pooled, 0, "mean of patch tokens");
    }
}
