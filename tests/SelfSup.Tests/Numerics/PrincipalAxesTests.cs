using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class PrincipalAxesTests
{
    [Fact]
    public void PointsAlongYEquals2x_GiveTheHandComputedAxesAndVariances()
    {
        // Positions t = ±3 along u = (1, 2)/√5 and e = ±1 across it along w = (−2, 1)/√5, all four combinations
        // (uncorrelated, mean 0), shifted by (5, −1). By hand, with the covariance divided by N = 4:
        // variance along u Σt²/4 = 9, along w Σe²/4 = 1, total 10, explained ratios 0.9 and 0.1.
        var t = new double[] { 3, -3, 3, -3 };
        var e = new double[] { 1, 1, -1, -1 };
        var s5 = Math.Sqrt(5);
        var points = Enumerable.Range(0, 4).SelectMany(i => new[] { (t[i] - 2 * e[i]) / s5 + 5, (2 * t[i] + e[i]) / s5 - 1 }).ToArray();
        using var x = tensor(points, [4, 2]);
        using var axes = PrincipalAxes.Fit(x, 2);
        Assert.Equal(new[] { 5.0, -1.0 }, axes.Mean.data<double>().ToArray().Select(v => Math.Round(v, 12)));
        // First axis (1, 2)/√5; the second (−2, 1)/√5 with its sign fixed so its largest loading is positive: (2, −1)/√5.
        var c = axes.Components.data<double>().ToArray();
        Assert.Equal(new[] { 1 / s5, 2 / s5, 2 / s5, -1 / s5 }, c, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(new[] { 9.0, 1.0 }, axes.Variances.data<double>().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(10.0, axes.TotalVariance, 12);
        Assert.Equal(new[] { 0.9, 0.1 }, axes.ExplainedVarianceRatio().Select(v => Math.Round(v, 12)));
        // Coordinates: (t, −e) for each point.
        using var z = axes.Project(x);
        Assert.Equal(new[] { 3.0, -1, -3, -1, 3, 1, -3, 1 }, z.data<double>().ToArray().Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void ReconstructionError_FallsWithEachComponent_AndEqualsTheSumOfDiscardedEigenvalues()
    {
        using var g = new Generator(5);
        using var raw = randn([200, 6], dtype: ScalarType.Float64, generator: g) * tensor(new double[] { 5, 4, 3, 2, 1, 0.5 });
        var (q, _) = linalg.qr(randn([6, 6], dtype: ScalarType.Float64, generator: g));
        using var _q = q;
        using var x = raw.matmul(q) + 2; // [200, 6]
        // The covariance's eigenvalues computed another way (eigvalsh of XcᵀXc/N), descending.
        using var xc = x - x.mean([0]);
        using var eig = linalg.eigvalsh(xc.t().matmul(xc) / 200).flip(0); // [6]
        var lambda = eig.data<double>().ToArray();
        var previous = double.PositiveInfinity;
        for (int k = 1; k <= 6; k++)
        {
            using var axes = PrincipalAxes.Fit(x, k);
            using var z = axes.Project(x);                            // [N, k]
            using var rebuilt = z.matmul(axes.Components) + axes.Mean; // [N, D]
            var mse = (x - rebuilt).square().sum(1).mean().item<double>(); // mean squared error per sample
            Assert.Equal(lambda.Skip(k).Sum(), mse, 9);
            Assert.Equal(lambda.Take(k).ToArray(), axes.Variances.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-9);
            Assert.True(mse < previous || k == 6 && mse < 1e-20, $"k = {k}: error {mse} did not fall below {previous}");
            previous = mse;
        }
    }

    [Fact]
    public void RandomizedSolver_GivesTheExactAxes_OnLowRankData()
    {
        // Rank 4 plus an offset: after centring the randomized and the exact SVD must agree, signs included.
        using var g = new Generator(8);
        using var x = randn([500, 4], dtype: ScalarType.Float64, generator: g).mul(tensor(new double[] { 6, 4, 3, 2 }))
            .matmul(randn([4, 60], dtype: ScalarType.Float64, generator: g)) + 7; // [500, 60]
        using var exact = PrincipalAxes.Fit(x, 4, SvdSolver.Exact);
        using var gen = new Generator(1);
        using var randomized = PrincipalAxes.Fit(x, 4, SvdSolver.Randomized, generator: gen);
        Assert.Equal(SvdSolver.Randomized, randomized.Solver);
        Assert.True((exact.Components - randomized.Components).abs().max().item<double>() < 1e-4);
        Assert.True(((exact.Variances - randomized.Variances) / exact.Variances).abs().max().item<double>() < 1e-4);
        Assert.Equal(exact.TotalVariance, randomized.TotalVariance, 6);
    }

    [Fact]
    public void Whitening_GivesUnitVariancePerComponent_OnTheFitData()
    {
        using var g = new Generator(9);
        using var x = randn([300, 5], dtype: ScalarType.Float64, generator: g) * tensor(new double[] { 3, 2, 1.5, 1, 0.8 });
        using var axes = PrincipalAxes.Fit(x, 4);
        using var scale = axes.WhiteningScale(1e-6);
        using var z = axes.Project(x) * scale;          // [N, 4]
        using var cov = z.t().matmul(z) / 300;          // [4, 4], z is centred
        // λ / (λ + 1e-6·λ₁) with λ₁/λ < 20 here: within 2e-5 of 1.
        Assert.True((cov - eye(4, dtype: ScalarType.Float64)).abs().max().item<double>() < 2e-5);
    }

    [Fact]
    public void AutoSolver_IsRandomizedOnlyForLargeMatricesWithFewComponents()
    {
        Assert.Equal(SvdSolver.Exact, PrincipalAxes.Choose(5_000, 784, 128));     // 3.9 M entries
        Assert.Equal(SvdSolver.Randomized, PrincipalAxes.Choose(60_000, 784, 128)); // 47 M entries, k ≪ 784
        Assert.Equal(SvdSolver.Exact, PrincipalAxes.Choose(60_000, 784, 700));     // k > 0.8 · 784
    }

    [Fact]
    public void ComponentsBeyondMinOfRowsAndColumns_AreRejected_NamingTheLimit()
    {
        using var x = randn(10, 4, dtype: ScalarType.Float64);
        var error = Assert.Throws<ArgumentException>(() => PrincipalAxes.Fit(x, 5));
        Assert.Contains("[1, 4]", error.Message);
        using var axes = PrincipalAxes.Fit(x, 4); // k = min(N, D) is allowed
        Assert.Equal(new long[] { 4, 4 }, axes.Components.shape);
    }
}
