using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class PcaProjectionTests
{
    [Fact]
    public void FirstComponent_RecoversTheDirectionOfLargestSpread()
    {
        // Points spread along (1, 2, 2)/3 with small noise across it: the first coordinate is the position along it.
        using var g = new Generator(2);
        using var t = linspace(-5, 5, 41, dtype: ScalarType.Float64);
        using var direction = tensor(new double[] { 1, 2, 2 }) / 3;
        using var x = t.unsqueeze(1) * direction + 0.01 * randn([41, 3], dtype: ScalarType.Float64, generator: g) + 4;
        using var z = PcaProjection.Project(x, 2);
        Assert.Equal(new long[] { 41, 2 }, z.shape);
        var corr = (z.select(1, 0) * t).sum().item<double>() / (z.select(1, 0).norm().item<double>() * t.norm().item<double>());
        Assert.Equal(1.0, Math.Abs(corr), 1e-4);
        Assert.True(z.select(1, 0).var().item<double>() > 100 * z.select(1, 1).var().item<double>());
        Assert.Equal(0.0, z.mean([0]).abs().max().item<double>(), 1e-9);
    }

    [Fact]
    public void Components_AreUncorrelated_AndCappedByTheInputWidth()
    {
        using var g = new Generator(3);
        using var x = randn([30, 4], dtype: ScalarType.Float64, generator: g) * tensor(new double[] { 4, 3, 2, 1 });
        using var z = PcaProjection.Project(x, 10);
        Assert.Equal(new long[] { 30, 4 }, z.shape);
        using var cov = z.t().matmul(z);
        Assert.True((cov - cov.diagonal().diag()).abs().max().item<double>() < 1e-8);
    }

    [Fact]
    public void Signs_DoNotDependOnTheInputsSign()
    {
        using var g = new Generator(4);
        using var x = randn([20, 3], dtype: ScalarType.Float64, generator: g);
        using var a = PcaProjection.Project(x, 2);
        using var b = PcaProjection.Project(-x, 2);
        Assert.True(a.allclose(-b, atol: 1e-9), "negating the data flips the points, not the axes");
    }
}
