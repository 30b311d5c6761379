using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class NonFiniteTests
{
    static Parameter WithGradient(float[] values, float[]? grad)
    {
        var p = new Parameter(tensor(values));
        if (grad is not null) p.grad = tensor(grad);
        return p;
    }

    [Fact]
    public void GradientNorm_IsTheGlobalL2Norm_OverParametersWithAGradient()
    {
        using var a = WithGradient([1, 1], [3, 4]);
        using var b = WithGradient([1], [12]);
        using var none = WithGradient([5, 5, 5], null);

        Assert.Equal(13.0, NonFinite.GradientNorm([a, b, none]), 5);   // √(9 + 16 + 144)
        Assert.Equal(0.0, NonFinite.GradientNorm([none]));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void GradientNorm_IsNotFinite_WhenOneEntryIsNot(float bad)
    {
        using var a = WithGradient([1, 1], [3, bad]);
        using var b = WithGradient([1], [12]);

        Assert.False(double.IsFinite(NonFinite.GradientNorm([a, b])));
    }

    [Fact]
    public void AllFinite_LooksOnlyAtFloatingPointTensors()
    {
        using var ints = tensor(new long[] { 1, long.MaxValue });
        using var good = tensor(new[] { 1f, -2f });
        using var inf = tensor(new[] { 1f, float.NegativeInfinity });

        Assert.True(NonFinite.AllFinite([ints, good]));
        Assert.False(NonFinite.AllFinite([good, inf]));
        Assert.True(NonFinite.AllFinite([]));
    }
}
