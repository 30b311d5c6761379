using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public sealed class MonitorsTests
{
    static Tensor Rows(params float[][] rows) => tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, rows[0].Length);

    [Fact]
    public void RankMe_OfARankOneMatrix_IsAboutOne()
    {
        using var scope = NewDisposeScope();
        var u = randn(64, 1, generator: new Generator(1));
        var v = randn(1, 16, generator: new Generator(2));
        var rank = Monitors.RankMe(u.matmul(v)).item<float>(); // [64, 16], rank 1
        Assert.InRange(rank, 1.0, 1.01);
    }

    [Fact]
    public void RankMe_OfOrthonormalColumns_IsTheDimension()
    {
        using var scope = NewDisposeScope();
        var q = linalg.qr(randn(64, 16, generator: new Generator(3))).Q; // [64, 16], QᵀQ = I
        Assert.InRange(Monitors.RankMe(q).item<float>(), 15.99, 16.01);
        Assert.InRange(Monitors.RankMe(eye(8)).item<float>(), 7.999, 8.001);
    }

    [Fact]
    public void RankMe_OfTwoEqualDirections_IsTwo()
    {
        using var scope = NewDisposeScope();
        // Singular values (s, s, 0): normalised (½, ½, 0), entropy ln 2, exp → 2.
        var rank = Monitors.RankMe(Rows([3, 0, 0], [0, 3, 0], [0, 0, 0])).item<float>();
        Assert.Equal(2.0, rank, 3);
    }

    [Fact]
    public void Alignment_OnThreePairs_MatchesTheHandValue()
    {
        using var scope = NewDisposeScope();
        // Normalised: x = (1,0), (0,1), (−1,0); y = (1,0) each → squared distances 0, 2, 4 → mean 2.
        var x = Rows([3, 0], [0, 2], [-5, 0]);
        var y = Rows([2, 0], [7, 0], [1, 0]);
        Assert.Equal(2.0, Monitors.Alignment(x, y).item<float>(), 5);
        Assert.Equal(0.0, Monitors.Alignment(x, x.mul(4)).item<float>(), 6);
    }

    [Fact]
    public void Uniformity_OnThreePoints_MatchesTheHandValue()
    {
        using var scope = NewDisposeScope();
        // Normalised (1,0), (0,1), (−1,0): pair distances² 2, 4, 2 → log((e^−4 + e^−8 + e^−4) / 3).
        var x = Rows([3, 0], [0, 2], [-5, 0]);
        var expected = Math.Log((2 * Math.Exp(-4) + Math.Exp(-8)) / 3);
        Assert.Equal(expected, Monitors.Uniformity(x).item<float>(), 4);
    }

    [Fact]
    public void Uniformity_OfIdenticalPoints_IsZero()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0.0, Monitors.Uniformity(ones(5, 4)).item<float>(), 6);
    }

    [Fact]
    public void StdOfL2Normalized_IsZeroForConstantAndAboutOneOverRootDForGaussian()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0.0, Monitors.StdOfL2Normalized(ones(32, 16)).item<float>(), 6);
        var healthy = Monitors.StdOfL2Normalized(randn(4096, 16, generator: new Generator(4))).item<float>();
        Assert.InRange(healthy, 0.9 / Math.Sqrt(16), 1.1 / Math.Sqrt(16));
    }

    [Fact]
    public void Monitors_RejectMisshapenInputs()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("[N, D]", Assert.Throws<ArgumentException>(() => Monitors.RankMe(ones(2, 3, 4))).Message);
        Assert.Contains("equal shape", Assert.Throws<ArgumentException>(() => Monitors.Alignment(ones(2, 3), ones(3, 3))).Message);
        Assert.Contains("N ≥ 2", Assert.Throws<ArgumentException>(() => Monitors.Uniformity(ones(1, 3))).Message);
    }
}
