using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class RandomizedSvdTests
{
    /// <summary>A [300, 80] matrix of rank 5 with singular values 10, 8, 6, 4, 2 and random orthonormal singular vectors.</summary>
    static (Tensor A, Tensor V) LowRank(int seed)
    {
        using var g = new Generator((ulong)seed);
        var (u, _) = linalg.qr(randn([300, 5], dtype: ScalarType.Float64, generator: g)); // [300, 5]
        var (v, _) = linalg.qr(randn([80, 5], dtype: ScalarType.Float64, generator: g));  // [80, 5]
        using var s = tensor(new double[] { 10, 8, 6, 4, 2 });
        return ((u * s).matmul(v.t()), v.t().contiguous()); // [300, 80], [5, 80]
    }

    [Fact]
    public void OnALowRankMatrix_AgreesWithTheExactSvd_To1e4()
    {
        var (a, v) = LowRank(1);
        using var _a = a;
        using var _v = v;
        using var g = new Generator(7);
        var (u, s, vh) = RandomizedSvd.Compute(a, 5, generator: g);
        using var _u = u;
        using var _s = s;
        using var _vh = vh;
        var (ue, se, vhe) = linalg.svd(a, fullMatrices: false);
        using var _ue = ue;
        using var _se = se;
        using var _vhe = vhe;
        Assert.Equal(new long[] { 300, 5 }, u.shape);
        Assert.Equal(new[] { 10.0, 8, 6, 4, 2 }, s.data<double>().ToArray().Select(x => Math.Round(x, 4)));
        Assert.True((s - se.narrow(0, 0, 5)).abs().max().item<double>() < 1e-4);
        // Each right singular vector equals the exact one up to sign: |⟨v, v_exact⟩| = 1.
        using var overlap = (vh * vhe.narrow(0, 0, 5)).sum(1).abs(); // [5]
        Assert.True((overlap - 1).abs().max().item<double>() < 1e-4, $"overlaps {string.Join(", ", overlap.data<double>().ToArray())}");
        // And U S Vh rebuilds the matrix.
        using var rebuilt = (u * s).matmul(vh);
        Assert.True((rebuilt - a).abs().max().item<double>() < 1e-4);
    }

    [Fact]
    public void PowerIterations_SharpenTheSubspace_WhenTheSpectrumDecaysSlowly()
    {
        // Singular values 1/√i (slow decay): without power iterations the sketch of k + p columns catches the top
        // directions only roughly; a few iterations bring them much closer to the exact ones.
        using var g = new Generator(3);
        var (u, _) = linalg.qr(randn([400, 100], dtype: ScalarType.Float64, generator: g));
        var (v, _) = linalg.qr(randn([100, 100], dtype: ScalarType.Float64, generator: g));
        using var sv = arange(1, 101, dtype: ScalarType.Float64).rsqrt();
        using var a = (u * sv).matmul(v.t()); // [400, 100]
        double Error(int q)
        {
            using var gen = new Generator(11);
            var (_, s, _) = RandomizedSvd.Compute(a, 10, oversamples: 5, powerIterations: q, generator: gen);
            using var _s = s;
            return (s - sv.narrow(0, 0, 10)).abs().max().item<double>();
        }
        var none = Error(0);
        var four = Error(4);
        Assert.True(four < none / 4, $"error without power iterations {none:G3}, with 4: {four:G3}");
        Assert.True(four < 0.02, $"error with 4 power iterations {four:G3}");
    }

    [Fact]
    public void RankOutsideTheMatrix_IsRejected()
    {
        using var a = randn(10, 4);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => RandomizedSvd.Compute(a, 5)).Message);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => RandomizedSvd.Compute(a, 0)).Message);
    }
}
