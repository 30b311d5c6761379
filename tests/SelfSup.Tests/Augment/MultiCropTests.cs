using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class MultiCropTests
{
    static Tensor Uint8Batch(long seed, long b, long c, long s) =>
        TestImages.Uniform(seed, [b, c, s, s], 0, 256).floor_().to(ScalarType.Byte);

    static ChannelStats Stats(int channels) =>
        new(Enumerable.Repeat(0.5f, channels).ToArray(), Enumerable.Repeat(0.25f, channels).ToArray());

    [Theory]
    [InlineData(3, 32, 14)]
    [InlineData(1, 28, 12)]
    public void Views_AreTwoGlobalsAtFullSize_ThenTheLocalsAtTheLocalSize(int channels, int size, int localSize)
    {
        using var scope = NewDisposeScope();
        var crop = new MultiCrop(size, channels, Stats(channels), new MultiCropOptions { LocalCrops = 3 });
        Assert.Equal(localSize, crop.LocalSize);
        var images = Uint8Batch(1, 4, channels, size);
        var views = crop.Apply(images, TestImages.Seeded(2));
        Assert.Equal(5, views.Length);
        Assert.Equal(crop.ViewCount, views.Length);
        for (var i = 0; i < views.Length; i++)
        {
            var s = i < 2 ? size : localSize;
            Assert.Equal(new long[] { 4, channels, s, s }, views[i].shape);
            Assert.Equal(ScalarType.Float32, views[i].dtype);
            Assert.True(views[i].isfinite().all().item<bool>());
            Assert.InRange(views[i].min().item<float>(), -2f - 1e-4f, 2f + 1e-4f);   // (x − 0.5)/0.25 for x in [0, 1]
            Assert.InRange(views[i].max().item<float>(), -2f - 1e-4f, 2f + 1e-4f);
        }
        Assert.False(views[0].allclose(views[1]));
        Assert.False(views[2].allclose(views[3]));
    }

    [Fact]
    public void EachSample_GetsItsOwnCropAndColours()
    {
        using var scope = NewDisposeScope();
        var one = Uint8Batch(3, 1, 3, 32);
        var images = one.expand(6, 3, 32, 32).contiguous();              // six copies of one image
        var views = new MultiCrop(32, 3, Stats(3), new MultiCropOptions { LocalCrops = 2 }).Apply(images, TestImages.Seeded(4));
        foreach (var v in views)
            for (var i = 0; i < 6; i++)
                for (var j = i + 1; j < 6; j++)
                    Assert.False(v[i].allclose(v[j]), $"samples {i} and {j} of a view are identical");
    }

    [Fact]
    public void TheSameGeneratorSeed_GivesIdenticalViews_AndAnotherSeedDifferentOnes()
    {
        using var scope = NewDisposeScope();
        var crop = new MultiCrop(32, 3, Stats(3), new MultiCropOptions { LocalCrops = 2 });
        var images = Uint8Batch(5, 3, 3, 32);
        var a = crop.Apply(images, TestImages.Seeded(9));
        var b = crop.Apply(images, TestImages.Seeded(9));
        var c = crop.Apply(images, TestImages.Seeded(10));
        for (var i = 0; i < a.Length; i++)
        {
            Assert.True(a[i].SameAs(b[i]));
            Assert.False(a[i].allclose(c[i]));
        }
    }

    [Fact]
    public void WithEveryAugmentationOff_TheGlobalViewsAreTheNormalisedImage()
    {
        using var scope = NewDisposeScope();
        var off = new MultiCropOptions
        {
            GlobalScaleMin = 1,
            LocalCrops = 1,
            FlipP = 0,
            JitterP = 0,
            GrayscaleP = 0,
            FirstGlobalBlurP = 0,
            SecondGlobalBlurP = 0,
            LocalBlurP = 0,
            SecondGlobalSolarizeP = 0,
        };
        var images = Uint8Batch(6, 2, 3, 16);
        var views = new MultiCrop(16, 3, Stats(3), off).Apply(images, TestImages.Seeded(1));
        var expected = (images.to(ScalarType.Float32) / 255f - 0.5f) / 0.25f;
        Assert.True(TestImages.MaxAbsDiff(views[0], expected) < 1e-4f);
        Assert.True(TestImages.MaxAbsDiff(views[1], expected) < 1e-4f);
    }

    [Fact]
    public void AtTheReferenceSize_ThePipelinesFollowDinosRecipe()
    {
        var crop = new MultiCrop(224, 3, Stats(3));
        Assert.Equal((224, 96, 10), (crop.GlobalSize, crop.LocalSize, crop.ViewCount));
        AssertCrop(crop.FirstGlobal, 224, (0.4, 1.0));
        AssertCrop(crop.Local, 96, (0.05, 0.4));
        Assert.Equal(1.0, Blur(crop.FirstGlobal)!.P);
        Assert.Equal(0.1, Blur(crop.SecondGlobal)!.P);
        Assert.Equal(0.5, Blur(crop.Local)!.P);
        Assert.Equal(GaussianBlur.KernelSizeFor(96), Blur(crop.Local)!.KernelSize);
        Assert.Empty(crop.FirstGlobal.Transforms.OfType<Solarize>());
        Assert.Equal(0.2, Assert.Single(crop.SecondGlobal.Transforms.OfType<Solarize>()).P);
        Assert.Empty(crop.Local.Transforms.OfType<Solarize>());
        var jitter = Assert.Single(crop.Local.Transforms.OfType<ColorJitter>());
        Assert.Equal((0.4, 0.4, 0.2, 0.1, 0.8), (jitter.Brightness, jitter.Contrast, jitter.Saturation, jitter.Hue, jitter.P));
        Assert.Equal(0.2, Assert.Single(crop.SecondGlobal.Transforms.OfType<RandomGrayscale>()).P);
    }

    [Fact]
    public void SmallOrGrayImages_AreNotBlurred_AsInTheTwoViewRecipe()
    {
        var small = new MultiCrop(32, 3, Stats(3));
        Assert.All(new[] { small.FirstGlobal, small.SecondGlobal, small.Local }, p => Assert.Null(Blur(p)));
        var mid = new MultiCrop(96, 3, Stats(3));                   // globals blurred, 41-px locals not
        Assert.NotNull(Blur(mid.FirstGlobal));
        Assert.Null(Blur(mid.Local));
        var gray = new MultiCrop(224, 1, Stats(1));
        Assert.Null(Blur(gray.FirstGlobal));
        Assert.Empty(gray.FirstGlobal.Transforms.OfType<RandomGrayscale>());
        Assert.Single(gray.SecondGlobal.Transforms.OfType<Solarize>());
    }

    [Theory]
    [InlineData(224, 1, 96)]
    [InlineData(224, 16, 96)]
    [InlineData(96, 1, 41)]
    [InlineData(64, 1, 27)]
    [InlineData(64, 4, 28)]
    [InlineData(32, 1, 14)]
    [InlineData(32, 4, 12)]
    [InlineData(28, 1, 12)]
    [InlineData(8, 16, 16)]
    public void DefaultLocalSize_Scales96At224_ToAMultiple(int globalSize, int multiple, int expected)
    {
        Assert.Equal(expected, MultiCrop.DefaultLocalSize(globalSize, multiple));
        var crop = new MultiCrop(globalSize, 3, Stats(3), new MultiCropOptions { LocalSizeMultiple = multiple });
        Assert.Equal(expected, crop.LocalSize);
    }

    [Fact]
    public void AnExplicitLocalSize_OverridesTheDefault()
    {
        using var scope = NewDisposeScope();
        var crop = new MultiCrop(32, 3, Stats(3), new MultiCropOptions { LocalSize = 16, LocalCrops = 1 });
        var views = crop.Apply(Uint8Batch(2, 2, 3, 32), TestImages.Seeded(3));
        Assert.Equal(new long[] { 2, 3, 16, 16 }, views[2].shape);
    }

    [Fact]
    public void SwavPreset_HasSixLocalsAndWiderGlobalScales()
    {
        var crop = new MultiCrop(224, 3, Stats(3), MultiCropOptions.Swav);
        Assert.Equal(8, crop.ViewCount);
        AssertCrop(crop.SecondGlobal, 224, (0.14, 1.0));
        AssertCrop(crop.Local, 96, (0.05, 0.14));
        Assert.All(new[] { crop.FirstGlobal, crop.SecondGlobal, crop.Local }, p => Assert.Equal(0.5, Blur(p)!.P));
        Assert.Empty(crop.SecondGlobal.Transforms.OfType<Solarize>());
    }

    [Fact]
    public void BadOptionsAndInputs_AreRejectedWithTheField()
    {
        var scale = Assert.Throws<ArgumentOutOfRangeException>(() => new MultiCrop(32, 3, Stats(3), new MultiCropOptions { LocalScaleMin = 0 }));
        Assert.Equal("local_scale", scale.ParamName);
        var crops = Assert.Throws<ArgumentOutOfRangeException>(() => new MultiCrop(32, 3, Stats(3), new MultiCropOptions { LocalCrops = -1 }));
        Assert.Contains("local_crops", crops.Message);
        var p = Assert.Throws<ArgumentOutOfRangeException>(() => new MultiCrop(32, 3, Stats(3), new MultiCropOptions { SecondGlobalSolarizeP = 1.5 }));
        Assert.Equal("second_global_solarize_p", p.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiCrop(32, 2, Stats(2)));
        using var floats = zeros(2, 3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => new MultiCrop(8, 3, Stats(3)).Apply(floats, TestImages.Seeded(1)));
        Assert.Contains("uint8", e.Message);
    }

    static GaussianBlur? Blur(ViewPipeline p) => p.Transforms.OfType<GaussianBlur>().SingleOrDefault();

    static void AssertCrop(ViewPipeline p, int size, (double, double) scale)
    {
        var crop = Assert.IsType<RandomResizedCrop>(p.Transforms[0]);
        Assert.Equal(size, crop.OutputSize);
        Assert.Equal(scale, crop.Scale);
    }
}
