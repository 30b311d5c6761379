using SelfSup.Augment;
using static SelfSup.Tests.Augment.TestImages;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class CieLabTests
{
    [Fact]
    public void RgbToLab_GivesTheReferenceValuesOfWhiteBlackAndThePrimaries()
    {
        using var scope = NewDisposeScope();
        var lab = CieLab.RgbToLab(Pixels([1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]));
        float[][] expected =
        [
            [100, 0, 0],
            [0, 0, 0],
            [53.24f, 80.09f, 67.20f],
            [87.73f, -86.18f, 83.18f],
            [32.30f, 79.19f, -107.86f],
        ];
        for (var i = 0; i < expected.Length; i++)
        {
            var actual = Pixel(lab, i);
            for (var c = 0; c < 3; c++)
                Assert.True(Math.Abs(actual[c] - expected[i][c]) < 0.05, $"pixel {i}, channel {c}: {actual[c]} against {expected[i][c]}");
        }
    }

    [Fact]
    public void RgbToLabToRgb_ReturnsTheImage()
    {
        using var scope = NewDisposeScope();
        var rgb = Uniform(4, [2, 3, 8, 8]);
        var back = CieLab.LabToRgb(CieLab.RgbToLab(rgb));
        Assert.True(MaxAbsDiff(rgb, back) < 1e-4, $"round trip error {MaxAbsDiff(rgb, back)}");
    }

    [Fact]
    public void SrgbCurve_IsLinearInTheShadows_AndInvertsItself()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0.02f, 0.5f, 1f });
        var linear = CieLab.SrgbToLinear(x).data<float>().ToArray();
        Assert.Equal(0.02f / 12.92f, linear[0], 6);
        Assert.Equal((float)Math.Pow(0.555 / 1.055, 2.4), linear[1], 5);
        Assert.Equal(1f, linear[2], 5);
        Assert.True(MaxAbsDiff(CieLab.LinearToSrgb(CieLab.SrgbToLinear(x)), x) < 1e-6);
    }

    [Fact]
    public void Lightness_OfAGrayBatch_EqualsTheLightnessOfTheGrayColour()
    {
        using var scope = NewDisposeScope();
        var gray = full(1, 1, 2, 2, 0.5f);
        var fromRgb = CieLab.RgbToLab(full(1, 3, 2, 2, 0.5f)).narrow(1, 0, 1);
        var l = CieLab.Lightness(gray);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, l.shape);
        Assert.True(MaxAbsDiff(l, fromRgb) < 1e-5);
        Assert.Equal(53.39f, l[0, 0, 0, 0].item<float>(), 1); // sRGB 0.5 gray: L* ≈ 53.39
    }
}
