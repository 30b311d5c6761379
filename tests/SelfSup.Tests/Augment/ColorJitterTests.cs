using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class ColorJitterTests
{
    [Fact]
    public void Jitter_WithZeroStrengths_IsIdentity()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(1, [8, 3, 6, 6]);
        var y = new ColorJitter(0, 0, 0, 0, p: 1).Apply(x, TestImages.Seeded(2));
        Assert.True(y.SameAs(x));
    }

    [Fact]
    public void Brightness_ScalesEachSampleByItsOwnFactorInRange()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(3, [32, 3, 4, 4], 0.1, 0.7); // ≤ 0.7·1.4 < 1: no clamping
        var y = new ColorJitter(0.4, 0, 0, 0, p: 1).Apply(x, TestImages.Seeded(4));
        var ratio = y / x; // [B, C, H, W]
        var perSample = ratio.flatten(1); // [B, CHW]
        Assert.True(TestImages.MaxAbsDiff(perSample, perSample[.., 0..1]) < 1e-5f); // one factor per sample
        Assert.InRange(perSample.min().item<float>(), 0.6f, 1.4f);
        Assert.InRange(perSample.max().item<float>(), 0.6f, 1.4f);
        Assert.True(perSample[.., 0].std().item<float>() > 0.1f); // factors differ between samples
    }

    [Fact]
    public void Contrast_KeepsMeanLuma_AndScalesDeviationsFromIt()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(5, [16, 3, 4, 4], 0.35, 0.65); // deviations ≤ 0.3·1.4: no clamping
        var y = new ColorJitter(0, 0.4, 0, 0, p: 1).Apply(x, TestImages.Seeded(6));
        var m = ColorSpace.Grayscale(x).mean([1L, 2L, 3L], keepdim: true); // [B, 1, 1, 1]
        Assert.True(TestImages.MaxAbsDiff(ColorSpace.Grayscale(y).mean([1L, 2L, 3L], keepdim: true), m) < 1e-5f);
        var factor = ((y - m) * (x - m)).sum([1L, 2L, 3L]) / (x - m).square().sum([1L, 2L, 3L]); // least-squares factor [B]
        var predicted = (x - m) * factor.view(-1, 1, 1, 1) + m;
        Assert.True(TestImages.MaxAbsDiff(predicted, y) < 1e-5f);
        Assert.InRange(factor.min().item<float>(), 0.6f, 1.4f);
        Assert.InRange(factor.max().item<float>(), 0.6f, 1.4f);
    }

    [Fact]
    public void Saturation_KeepsPerPixelLuma()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(7, [16, 3, 4, 4], 0.35, 0.65);
        var y = new ColorJitter(0, 0, 0.4, 0, p: 1).Apply(x, TestImages.Seeded(8));
        Assert.True(TestImages.MaxAbsDiff(ColorSpace.Grayscale(y), ColorSpace.Grayscale(x)) < 1e-5f);
        Assert.False(y.allclose(x));
    }

    [Fact]
    public void Hue_KeepsEachPixelsMaxAndMinChannel()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(9, [16, 3, 4, 4]);
        var y = new ColorJitter(0, 0, 0, 0.1, p: 1).Apply(x, TestImages.Seeded(10));
        Assert.True(TestImages.MaxAbsDiff(y.amax([1L]), x.amax([1L])) < 1e-5f);
        Assert.True(TestImages.MaxAbsDiff(y.amin([1L]), x.amin([1L])) < 1e-5f);
        Assert.False(y.allclose(x));
    }

    [Fact]
    public void StrongJitter_StaysInUnitRange()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(11, [32, 3, 8, 8]);
        var y = new ColorJitter(0.8, 0.8, 0.8, 0.5, p: 1).Apply(x, TestImages.Seeded(12));
        Assert.True(y.min().item<float>() >= 0 && y.max().item<float>() <= 1);
    }

    [Fact]
    public void OnOneChannel_SaturationAndHueAreIgnored()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(13, [8, 1, 4, 4]);
        Assert.True(new ColorJitter(0, 0, 0.8, 0.5, p: 1).Apply(x, TestImages.Seeded(14)).SameAs(x));
        Assert.False(new ColorJitter(0.4, 0.4, 0.8, 0.5, p: 1).Apply(x, TestImages.Seeded(14)).SameAs(x));
    }

    [Fact]
    public void Jitter_IsAppliedToAboutPOfSamples()
    {
        using var scope = NewDisposeScope();
        var x = full(4000, 3, 1, 1, 0.5f);
        var y = new ColorJitter(0.4, 0, 0, 0, p: 0.8).Apply(x, TestImages.Seeded(15));
        var changed = y.ne(x).any(3).any(2).any(1).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(changed, 0.77f, 0.83f);
    }

    [Fact]
    public void SimClrStrength_GivesPaperFactors()
    {
        var j = ColorJitter.SimClr(0.5);
        Assert.Equal((0.4, 0.4, 0.4, 0.1, 0.8), (j.Brightness, j.Contrast, j.Saturation, j.Hue, j.P));
    }
}
