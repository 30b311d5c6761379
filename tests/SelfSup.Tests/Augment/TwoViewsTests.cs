using SelfSup.Augment;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class TwoViewsTests
{
    static Tensor Uint8Batch(long seed, long b, long c, long s) =>
        TestImages.Uniform(seed, [b, c, s, s], 0, 256).floor_().to(ScalarType.Byte);

    [Theory]
    [InlineData(3, 32)]
    [InlineData(1, 28)]
    [InlineData(3, 64)]
    public void Views_AreTwoDifferentNormalisedFloat32Batches(int channels, int size)
    {
        using var scope = NewDisposeScope();
        var stats = new ChannelStats(Enumerable.Repeat(0.45f, channels).ToArray(), Enumerable.Repeat(0.25f, channels).ToArray());
        var images = Uint8Batch(1, 6, channels, size);
        var views = TwoViews.ForImages(size, channels, stats).Apply(images, TestImages.Seeded(2));
        Assert.Equal(2, views.Length);
        foreach (var v in views)
        {
            Assert.Equal(new long[] { 6, channels, size, size }, v.shape);
            Assert.Equal(ScalarType.Float32, v.dtype);
            Assert.Equal(images.device_type, v.device_type);
            Assert.True(v.isfinite().all().item<bool>());
            Assert.InRange(v.min().item<float>(), -0.45f / 0.25f - 1e-4f, 0);
            Assert.InRange(v.max().item<float>(), 0, 0.55f / 0.25f + 1e-4f);
        }
        Assert.False(views[0].allclose(views[1]));
    }

    [Fact]
    public void CustomPipelines_AreUsedForTheirOwnView()
    {
        using var scope = NewDisposeScope();
        var stats = new ChannelStats([0f], [1f]);
        var plain = new ViewPipeline([], stats);
        var flipped = new ViewPipeline([new RandomHorizontalFlip(1)], stats);
        var images = Uint8Batch(3, 2, 1, 8);
        var views = new TwoViews(plain, flipped).Apply(images, TestImages.Seeded(4));
        var unit = images.to(ScalarType.Float32) / 255f;
        Assert.True(TestImages.MaxAbsDiff(views[0], unit) < 1e-6f);
        Assert.True(TestImages.MaxAbsDiff(views[1], unit.flip(3)) < 1e-6f);
    }

    [Fact]
    public void FloatInput_IsRejectedWithAMessage()
    {
        using var x = zeros(2, 3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => TwoViews.ForImages(8, 3, new ChannelStats([0, 0, 0], [1, 1, 1])).Apply(x, TestImages.Seeded(1)));
        Assert.Contains("uint8", e.Message);
    }

}
