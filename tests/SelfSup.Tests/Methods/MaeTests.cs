using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Reporting;
using SelfSup.Tests.Encoders;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class MaeTests
{
    static readonly MaeOptions SmallDecoder = new() { DecoderDim = 16, DecoderDepth = 1, DecoderHeads = 2 };

    static Mae Make(MaeOptions? options = null)
    {
        manual_seed(0);
        var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 8, PatchSize: 2, Dim: 16, Depth: 1, Heads: 2));
        return new Mae(vit, options ?? SmallDecoder);
    }

    [Fact]
    public void EncoderLinearLayers_AreXavierUniform_AsTheOfficialInit()
    {
        using var mae = Make(new MaeOptions { DecoderDim = 16, DecoderDepth = 1, DecoderHeads = 2 });
        var linears = mae.Encoder.named_modules().Where(m => m.module is TorchSharp.Modules.Linear).ToList();
        Assert.NotEmpty(linears);
        foreach (var (name, module) in linears)
        {
            var w = ((TorchSharp.Modules.Linear)module).weight!;
            var bound = Math.Sqrt(6.0 / (w.shape[0] + w.shape[1]));
            var max = w.abs().max().item<float>();
            // Uniform on ±bound: inside it, and close to it (a truncated normal of std 0.02 stays far below for these sizes).
            Assert.True(max <= bound + 1e-6 && max > 0.8 * bound, $"{name}: max |w| {max} against the xavier bound {bound}");
        }
    }

    [Fact]
    public void Loss_CountsOnlyMaskedPatches()
    {
        using var target = zeros(1, 4, 3);
        using var pred = tensor(new float[] { 1, 1, 1, /**/ 2, 2, 2, /**/ 0, 0, 3, /**/ 5, 5, 5 }).view(1, 4, 3);
        using var mask = tensor(new float[] { 1, 0, 1, 0 }).view(1, 4);
        // masked patches 0 and 2: per-patch MSE 1 and 3 → mean 2.
        using var loss = MaskedMseLoss.Compute(pred, target, mask);
        Assert.Equal(2f, loss.item<float>(), 6);
        using var changed = pred.clone();
        changed[0, 1].fill_(100f); // a visible patch
        using var same = MaskedMseLoss.Compute(changed, target, mask);
        Assert.Equal(loss.item<float>(), same.item<float>());
    }

    [Fact]
    public void NormalizedTargets_UsePerPatchMeanAndUnbiasedVariance()
    {
        // Patch (1, 2, 3, 6): mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14/3.
        using var patches = tensor(new float[] { 1, 2, 3, 6 }).view(1, 1, 4);
        using var t = MaskedMseLoss.NormalizedTargets(patches);
        var s = Math.Sqrt(14.0 / 3 + 1e-6);
        var got = t.data<float>().ToArray();
        double[] expected = [-2 / s, -1 / s, 0, 3 / s];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], got[i], 5);
    }

    [Fact]
    public void EmptyMask_IsAnError() =>
        Assert.Contains("no masked token", Assert.Throws<ArgumentException>(() => MaskedMseLoss.Compute(zeros(1, 2, 3), zeros(1, 2, 3), zeros(1, 2))).Message);

    [Fact]
    public void Gradients_ReachEncoderAndDecoder()
    {
        using var mae = Make();
        using var x = randn(4, 1, 8, 8, generator: new Generator(1));
        var result = mae.Step(x);
        result.Loss.backward();
        foreach (var (name, p) in mae.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("embedding_std", result.Scalars.Keys);
        Assert.Contains(mae.named_parameters(), p => p.name.StartsWith("decoder."));
    }

    [Fact]
    public void EncoderSees_OnlyTheVisibleQuarter()
    {
        using var mae = Make();
        using var x = randn(2, 1, 8, 8);
        var (latent, prediction, mask) = mae.ForwardMasked(x, new Generator(2));
        Assert.Equal(new long[] { 2, 1 + 4, 16 }, latent.shape);     // 16 tokens, ⌊16 · 0.25⌋ = 4 visible + CLS
        Assert.Equal(new long[] { 2, 16, 4 }, prediction.shape);     // p·p·C = 4 values per patch
        Assert.Equal(24f, mask.sum().item<float>());
    }

    [Fact]
    public void Reconstruction_KeepsVisiblePatches_AndWritesAPng()
    {
        using var mae = Make();
        using var x = randn(3, 1, 8, 8);
        using var r = mae.Reconstruct(x, new Generator(3));
        Assert.True(mae.training, "Reconstruct restores training mode");
        using var visible = r.Masked.ne(0);                           // masked patches are exactly 0
        using var kept = r.Reconstruction.masked_select(visible);
        using var orig = x.masked_select(visible);
        TensorAssert.Close(orig, kept, 1e-6, "visible patches");
        var path = Path.Combine(Path.GetTempPath(), $"mae-{Guid.NewGuid():N}.png");
        try
        {
            ReconstructionPicture.Save(path, [r.Original, r.Masked, r.Reconstruction], new ChannelStats([0.5f], [0.25f]), scale: 2);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(0x89, bytes[0]);
            Assert.Equal((byte)'P', bytes[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NonVitEncoder_IsRejectedWithTheReason() =>
        Assert.Contains("ViT", Assert.Throws<ArgumentException>(() => new Mae(new TinyEncoder(), new MaeOptions())).Message);

    [Fact]
    public void Views_AreOneNormalisedCropPerImage()
    {
        var views = MaeViews.ForImages(8, new ChannelStats([0.5f], [0.5f]));
        using var images = randint(0, 256, [3, 1, 8, 8], dtype: ScalarType.Byte);
        using var g = new Generator(4);
        var v = views.Apply(images, g);
        Assert.Single(v);
        Assert.Equal(new long[] { 3, 1, 8, 8 }, v[0].shape);
        Assert.InRange(v[0].min().item<float>(), -1.001f, 1.001f);
    }

    [Fact]
    public void Registry_ListsMae_WithOptionsBoundFromStrings()
    {
        var info = MethodRegistry.Get("mae");
        Assert.Contains("He", info.Paper);
        var o = OptionBinder.Bind(new MaeOptions(), new Dictionary<string, string> { ["mask_ratio"] = "0.6", ["norm_pix_loss"] = "false" }, "mae");
        Assert.Equal((0.6, false), (o.MaskRatio, o.NormPixLoss));
        Assert.Equal((512, 8, 16), (new MaeOptions().DecoderDim, new MaeOptions().DecoderDepth, new MaeOptions().DecoderHeads));
    }
}
