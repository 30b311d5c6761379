using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class ContextEncoderTests
{
    static ContextEncoder Make(ContextEncoderOptions? options = null, int size = 8)
    {
        manual_seed(0);
        return new ContextEncoder(new TinyEncoder(1, width: 6), imageSize: size, channels: 1, AutoencoderTests.Stats,
            options ?? new ContextEncoderOptions { Bottleneck = 5, DecoderWidth = 4 });
    }

    [Fact]
    public void CenterMask_HidesTheMiddleHalfOfEachSide()
    {
        using var mask = InpaintingMasks.Draw(InpaintingMaskKind.Center, 2, 8, 0.25, null, CPU);
        Assert.Equal(new long[] { 2, 1, 8, 8 }, mask.shape);
        Assert.Equal(16f, mask[0].sum().item<float>());
        Assert.Equal(1f, mask[1, 0, 2, 2].item<float>());
        Assert.Equal(1f, mask[1, 0, 5, 5].item<float>());
        Assert.Equal(0f, mask[1, 0, 1, 2].item<float>());
        Assert.Equal(0f, mask[1, 0, 6, 5].item<float>());
    }

    [Fact]
    public void RandomRegion_HidesExactlyTheRatio_AndDiffersPerImage_AndFollowsTheGenerator()
    {
        using var a = InpaintingMasks.Draw(InpaintingMaskKind.RandomRegion, 3, 32, 0.25, new Generator(7), CPU);
        using var b = InpaintingMasks.Draw(InpaintingMaskKind.RandomRegion, 3, 32, 0.25, new Generator(7), CPU);
        for (int i = 0; i < 3; i++) Assert.Equal(256f, a[i].sum().item<float>());
        Assert.True(a.allclose(b, 0, 0));
        Assert.False(a[0].allclose(a[1], 0, 0));
    }

    [Fact]
    public void RandomBlocks_HideWholeCells_AtMostTheRatio()
    {
        using var mask = InpaintingMasks.Draw(InpaintingMaskKind.RandomBlocks, 4, 32, 0.25, new Generator(3), CPU);
        for (int i = 0; i < 4; i++)
        {
            var hidden = mask[i].sum().item<float>();
            Assert.InRange(hidden, 16f, 256f);          // at least one 2-cell block of 4×4 px, at most a quarter
            Assert.Equal(0f, hidden % 16);              // whole 4×4-pixel cells of the 8×8 grid
        }
    }

    [Fact]
    public void Band_IsTheVisibleRingAroundTheHole()
    {
        using var mask = zeros(1, 1, 6, 6);
        mask[0, 0, 2, 2] = tensor(1f);
        using var band = InpaintingMasks.Band(mask, 1);
        Assert.Equal(8f, band.sum().item<float>());     // the 8 neighbours of the single hidden pixel
        Assert.Equal(0f, band[0, 0, 2, 2].item<float>());
        Assert.Equal(1f, band[0, 0, 1, 1].item<float>());
        Assert.Equal(0f, band[0, 0, 0, 0].item<float>());
    }

    [Fact]
    public void Loss_CountsTheHiddenPixelsOnly()
    {
        using var ce = Make();
        using var x = zeros(1, 1, 2, 2);
        using var mask = tensor(new float[] { 1, 0, 0, 1 }).view(1, 1, 2, 2);
        using var output = tensor(new float[] { 1, 5, 7, 3 }).view(1, 1, 2, 2);
        using var loss = ce.InpaintingLoss(output, x, mask);
        Assert.Equal((1f + 9f) / 2, loss.item<float>(), 5);  // the visible pixels' errors 25 and 49 do not count
    }

    [Fact]
    public void Overlap_WeightsTheBandTenfold()
    {
        using var ce = Make(new ContextEncoderOptions { Bottleneck = 5, DecoderWidth = 4, Overlap = 1, OverlapWeight = 10 });
        using var x = zeros(1, 1, 1, 3);
        using var mask = tensor(new float[] { 0, 1, 0 }).view(1, 1, 1, 3);  // middle hidden, both others in the band
        using var output = tensor(new float[] { 1, 2, 0 }).view(1, 1, 1, 3);
        using var loss = ce.InpaintingLoss(output, x, mask);
        Assert.Equal((10f * 1 + 1f * 4 + 10f * 0) / 21, loss.item<float>(), 5);
    }

    [Fact]
    public void Step_SeesTheHiddenImage_AndGradientReachesEveryParameter()
    {
        using var ce = Make();
        ce.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(1));
        var result = ce.Step(x);
        result.Loss.backward();
        foreach (var (name, p) in ce.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void ChangingTheHiddenPixels_DoesNotChangeTheCode()
    {
        using var ce = Make();
        ce.eval();
        using var mask = ce.DrawMasks(2, null, CPU);
        using var x = randn(2, 1, 8, 8, generator: new Generator(2));
        using var y = x + randn(2, 1, 8, 8, generator: new Generator(3)) * mask;  // differs only inside the hole
        using var cx = ce.Representation.forward(ContextEncoder.Hide(x, mask));
        using var cy = ce.Representation.forward(ContextEncoder.Hide(y, mask));
        Assert.True(cx.allclose(cy, 1e-6, 1e-6));
    }

    [Fact]
    public void Pictures_KeepTheVisiblePixels_AndFillTheHole()
    {
        using var ce = Make();
        using var x = randn(2, 1, 8, 8, generator: new Generator(4));
        var columns = ce.ReconstructionColumns(x, new Generator(5));
        Assert.Equal(3, columns.Length);
        using var mask = InpaintingMasks.Draw(InpaintingMaskKind.Center, 2, 8, 0.25, null, CPU);
        using var visible = 1 - mask;
        Assert.True((columns[2] * visible).allclose(x * visible, 1e-6, 1e-6));
        Assert.Equal(0f, (columns[1] * mask).abs().sum().item<float>());
        Assert.False((columns[2] * mask).allclose(x * mask, 1e-3, 1e-3));
        foreach (var c in columns) c.Dispose();
    }

    [Fact]
    public void BadOptions_AreRefused_NamingTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(new ContextEncoderOptions { MaskRatio = 1.5 }));
        Assert.Contains("mask_ratio", e.Message);
        e = Assert.Throws<ArgumentException>(() => Make(new ContextEncoderOptions { Overlap = -1 }));
        Assert.Contains("overlap", e.Message);
    }
}
