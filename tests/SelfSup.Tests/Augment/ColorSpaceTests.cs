using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static SelfSup.Tests.Augment.TestImages;

namespace SelfSup.Tests.Augment;

public class ColorSpaceTests
{
    [Fact]
    public void Grayscale_UsesItu601Weights()
    {
        using var scope = NewDisposeScope();
        var y = ColorSpace.Grayscale(Pixels([1, 0, 0], [0, 1, 0], [0, 0, 1], [0.2f, 0.4f, 0.6f]));
        Assert.Equal(new long[] { 1, 1, 1, 4 }, y.shape);
        var v = y.data<float>().ToArray();
        Assert.Equal(0.299f, v[0], 6);
        Assert.Equal(0.587f, v[1], 6);
        Assert.Equal(0.114f, v[2], 6);
        Assert.Equal(0.299f * 0.2f + 0.587f * 0.4f + 0.114f * 0.6f, v[3], 6);
    }

    [Fact]
    public void RgbToHsv_MatchesHandComputedValues()
    {
        using var scope = NewDisposeScope();
        var hsv = ColorSpace.RgbToHsv(Pixels([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0.5f, 0], [0.5f, 0.5f, 0.5f], [0.2f, 0.1f, 0.4f], [0, 0, 0]));
        float[][] expected =
        [
            [0, 1, 1], [1 / 3f, 1, 1], [2 / 3f, 1, 1], [1 / 12f, 1, 1], [0, 0, 0.5f],
            // max b = 0.4, delta 0.3: h = (4 + (r − g)/delta)/6 = (4 + 1/3)/6, s = 0.3/0.4
            [(4 + 1 / 3f) / 6, 0.75f, 0.4f],
            [0, 0, 0],
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            var got = Pixel(hsv, i);
            for (int c = 0; c < 3; c++) Assert.Equal(expected[i][c], got[c], 5);
        }
    }

    [Fact]
    public void HsvRoundTrip_IsIdentity()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(1, [8, 3, 16, 16]);
        // Add gray, black, white and saturated pixels, where the hue formula has its special cases.
        var special = Pixels([0, 0, 0], [1, 1, 1], [0.3f, 0.3f, 0.3f], [1, 0, 0], [0, 1, 1], [1, 1, 0], [0.5f, 0.2f, 0.5f]);
        foreach (var t in new[] { x, special })
            Assert.True(TestImages.MaxAbsDiff(ColorSpace.HsvToRgb(ColorSpace.RgbToHsv(t)), t) < 1e-5f);
    }

    [Fact]
    public void ShiftHue_ByZero_KeepsImage()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(2, [4, 3, 8, 8]);
        var y = ColorSpace.ShiftHue(x, zeros(4, 1, 1, 1));
        Assert.True(TestImages.MaxAbsDiff(y, x) < 1e-5f);
    }

    [Fact]
    public void ShiftHue_ByAThirdTurn_RotatesRedToGreenToBlue()
    {
        using var scope = NewDisposeScope();
        var x = Pixels([1, 0, 0], [0, 1, 0], [0.2f, 0.2f, 0.2f]);
        var y = ColorSpace.ShiftHue(x, full(1, 1, 1, 1, 1 / 3f));
        var expected = Pixels([0, 1, 0], [0, 0, 1], [0.2f, 0.2f, 0.2f]);
        Assert.True(TestImages.MaxAbsDiff(y, expected) < 1e-5f);
    }

    [Fact]
    public void ShiftHue_AppliesEachSamplesOwnShift()
    {
        using var scope = NewDisposeScope();
        var red = Pixels([1, 0, 0]);
        var x = cat([red, red], 0); // [2, 3, 1, 1]
        var y = ColorSpace.ShiftHue(x, tensor(new float[] { 0.5f, -1 / 3f }).view(2, 1, 1, 1));
        var expected = cat([Pixels([0, 1, 1]), Pixels([0, 0, 1])], 0); // cyan, blue
        Assert.True(TestImages.MaxAbsDiff(y, expected) < 1e-5f);
    }

    [Fact]
    public void ShiftHue_MatchesTheHsvRoundTripWithShiftedHue()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(3, [6, 3, 8, 8]);
        var shift = TestImages.Uniform(4, [6, 1, 1, 1], -0.5, 0.5);
        var hsv = ColorSpace.RgbToHsv(x);
        var viaHsv = ColorSpace.HsvToRgb(cat([hsv.narrow(1, 0, 1).add(shift).remainder(1.0), hsv.narrow(1, 1, 2)], 1));
        Assert.True(TestImages.MaxAbsDiff(ColorSpace.ShiftHue(x, shift), viaHsv) < 1e-5f);
    }
}
