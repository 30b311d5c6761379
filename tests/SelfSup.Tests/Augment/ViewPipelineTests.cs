using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class ViewPipelineTests
{
    static readonly ChannelStats Rgb = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);

    [Fact]
    public void EmptyPipeline_OnlyNormalises()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(1, [2, 3, 4, 4]);
        var y = new ViewPipeline([], Rgb).Apply(x, TestImages.Seeded(2));
        Assert.True(TestImages.MaxAbsDiff(y, (x - 0.5f) / 0.25f) < 1e-6f);
    }

    [Fact]
    public void IdenticalImagesInABatch_GetDifferentViews()
    {
        using var scope = NewDisposeScope();
        var one = TestImages.Uniform(3, [1, 3, 32, 32]);
        var x = one.expand(2, 3, 32, 32).contiguous();
        var y = ViewPipeline.SimClr(32, 3, Rgb).Apply(x, TestImages.Seeded(4));
        Assert.False(y[0].allclose(y[1]));
    }

    [Fact]
    public void SameSeed_ReproducesABatchExactly_AndAnotherSeedDoesNot()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(5, [8, 3, 32, 32]);
        var p = ViewPipeline.SimClr(32, 3, Rgb, blurP: 0.5, solarizeP: 0.2);
        var a = p.Apply(x, TestImages.Seeded(6));
        var b = p.Apply(x, TestImages.Seeded(6));
        var c = p.Apply(x, TestImages.Seeded(7));
        Assert.True(a.SameAs(b));
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void SimClr_OnCifarSize_HasThePapersStepsAndNoBlur()
    {
        var t = ViewPipeline.SimClr(32, 3, Rgb).Transforms;
        Assert.Collection(t,
            s => Assert.Equal((0.08, 1.0), Assert.IsType<RandomResizedCrop>(s).Scale),
            s => Assert.Equal(0.5, Assert.IsType<RandomHorizontalFlip>(s).P),
            s => Assert.Equal(0.4, Assert.IsType<ColorJitter>(s).Saturation),
            s => Assert.Equal(0.2, Assert.IsType<RandomGrayscale>(s).P));
    }

    [Fact]
    public void SimClr_OnLargerImages_AddsBlurOfAboutTenPercent()
    {
        var blur = Assert.IsType<GaussianBlur>(ViewPipeline.SimClr(96, 3, Rgb).Transforms[^1]);
        Assert.Equal((9, 0.5), (blur.KernelSize, blur.P));
        Assert.DoesNotContain(ViewPipeline.SimClr(96, 1, new ChannelStats([0.5f], [0.25f])).Transforms, t => t is GaussianBlur);
    }

    [Fact]
    public void SimClr_OnOneChannel_JittersOnlyBrightnessAndContrast()
    {
        var t = ViewPipeline.SimClr(28, 1, new ChannelStats([0.5f], [0.25f])).Transforms;
        Assert.Equal(3, t.Count);
        var j = Assert.IsType<ColorJitter>(t[2]);
        Assert.Equal((0.4, 0.4, 0.0, 0.0), (j.Brightness, j.Contrast, j.Saturation, j.Hue));
    }
}
