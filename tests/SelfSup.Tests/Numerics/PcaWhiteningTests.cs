using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class PcaWhiteningTests
{
    [Fact]
    public void WhitenedComponents_HaveUnitVariance_AndNoCorrelation()
    {
        // Axes with standard deviations 8, 4, 2, 1, mixed by a rotation: whitening must undo both.
        using var g = new Generator(6);
        using var raw = randn([400, 4], dtype: ScalarType.Float64, generator: g) * tensor(new double[] { 8, 4, 2, 1 });
        var (q, _) = linalg.qr(randn([4, 4], dtype: ScalarType.Float64, generator: g));
        using var _q = q;
        using var x = raw.matmul(q) + 3;
        using var z = PcaWhitening.Whiten(x, 3);
        Assert.Equal(new long[] { 400, 3 }, z.shape);
        using var cov = z.t().matmul(z) / 400; // [3, 3]
        // Off the diagonal exactly 0; on it λ / (λ + 1e-6·λ₁) ≥ 1 − 1e-6 · 64/4 for the kept variances λ ≥ 4.
        Assert.True((cov - eye(3, dtype: ScalarType.Float64)).abs().max().item<double>() < 2e-5);
        Assert.Equal(0.0, z.mean([0]).abs().max().item<double>(), 9);
    }

    [Fact]
    public void DirectionsWithoutSpread_StayNearZero_InsteadOfBlowingUp()
    {
        // The third column is constant: its component has variance 0 and must not be divided by ≈ 0.
        using var g = new Generator(7);
        using var spread = randn([50, 2], dtype: ScalarType.Float64, generator: g);
        using var x = cat([spread, full([50, 1], 5.0, dtype: ScalarType.Float64)], 1);
        using var z = PcaWhitening.Whiten(x, 3);
        Assert.True(z.select(1, 2).abs().max().item<double>() < 1e-3);
        Assert.Equal(1.0, z.select(1, 0).square().mean().item<double>(), 5);
    }

    [Fact]
    public void NegativeEpsilon_IsRejected()
    {
        using var x = randn(10, 3);
        Assert.Contains("relativeEpsilon", Assert.Throws<ArgumentException>(() => PcaWhitening.Whiten(x, 2, -1)).Message);
    }
}
