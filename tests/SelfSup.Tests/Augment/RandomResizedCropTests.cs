using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class RandomResizedCropTests
{
    [Theory]
    [InlineData(32, 32)]
    [InlineData(24, 40)]
    public void Boxes_HaveAreaFractionAndAspectInRange_AndLieInsideTheImage(int h, int w)
    {
        using var scope = NewDisposeScope();
        var boxes = new RandomResizedCrop(16).SampleBoxes(5000, h, w, TestImages.Seeded(1)); // [N, 4]
        var (x0, y0, bw, bh) = (boxes[.., 0], boxes[.., 1], boxes[.., 2], boxes[.., 3]);
        var frac = bw * bh / (h * w);
        var aspect = bw / bh;
        Assert.True(frac.min().item<float>() >= 0.08f - 1e-5f);
        Assert.True(frac.max().item<float>() <= 1f + 1e-5f);
        Assert.True(aspect.min().item<float>() >= 0.75f - 1e-5f);
        Assert.True(aspect.max().item<float>() <= 4f / 3f + 1e-5f);
        Assert.True(x0.min().item<float>() >= 0 && y0.min().item<float>() >= 0);
        Assert.True((x0 + bw).max().item<float>() <= w + 1e-4f);
        Assert.True((y0 + bh).max().item<float>() <= h + 1e-4f);
        Assert.True(frac.std().item<float>() > 0.1f); // spread over the range, not one box
    }

    [Fact]
    public void FullScaleSquareCrop_IsTheIdentity()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(2, [4, 3, 32, 32]);
        var y = new RandomResizedCrop(32, scale: (1, 1), ratio: (1, 1)).Apply(x, TestImages.Seeded(3));
        Assert.True(TestImages.MaxAbsDiff(y, x) < 1e-5f);
    }

    [Fact]
    public void WhenNoDrawFits_TheCropIsCentredAtTheNearestAllowedRatio()
    {
        using var scope = NewDisposeScope();
        // A 10×100 strip: a square of 90 % of its area (30 px side) never fits, so the fallback is the centred 10×10 box.
        var boxes = new RandomResizedCrop(8, scale: (0.9, 1), ratio: (1, 1)).SampleBoxes(16, 10, 100, TestImages.Seeded(4));
        var expected = tensor(new float[] { 45, 0, 10, 10 }).expand(16, 4);
        Assert.True(TestImages.MaxAbsDiff(boxes, expected) < 1e-4f);
    }

    [Fact]
    public void EachSampleIsResampledFromItsOwnBox()
    {
        using var scope = NewDisposeScope();
        // Channel 0 holds the column index, channel 1 the row index: bilinear sampling of a ramp is exact,
        // so output pixel j must read x0 + w·(j + ½)/S − ½ (clamped to the border) of its sample's box.
        const int H = 20, W = 28, S = 6, N = 12;
        var cols = arange(W, dtype: ScalarType.Float32).view(1, 1, 1, W).expand(N, 1, H, W);
        var rows = arange(H, dtype: ScalarType.Float32).view(1, 1, H, 1).expand(N, 1, H, W);
        var x = cat([cols, rows], 1); // [N, 2, H, W]
        var (y, boxes) = new RandomResizedCrop(S).ApplyWithBoxes(x, TestImages.Seeded(5));
        Assert.Equal(new long[] { N, 2, S, S }, y.shape);
        var j = arange(S, dtype: ScalarType.Float32).add(0.5f).div(S); // [S]
        var ex = (boxes[.., 0..1] + boxes[.., 2..3] * j - 0.5f).clamp(0, W - 1); // [N, S]
        var ey = (boxes[.., 1..2] + boxes[.., 3..4] * j - 0.5f).clamp(0, H - 1);
        Assert.True(TestImages.MaxAbsDiff(y[.., 0], ex.view(N, 1, S).expand(N, S, S)) < 1e-3f);
        Assert.True(TestImages.MaxAbsDiff(y[.., 1], ey.view(N, S, 1).expand(N, S, S)) < 1e-3f);
    }

    [Fact]
    public void BadScale_IsRejectedWithTheFieldName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RandomResizedCrop(32, scale: (0.5, 0.1)));
        Assert.Equal("scale", e.ParamName);
    }
}
