using SelfSup.Evaluation;
using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class KMeansTests
{
    public KMeansTests() => TorchRuntime.Initialize();

    /// <summary>Three tight blobs (σ = 0.1) around centres 10 apart, 20 points each, labels 0, 1, 2.</summary>
    static (Tensor X, long[] Labels) Blobs(int seed = 0)
    {
        using var g = new Generator((ulong)seed);
        using var centres = tensor(new float[,] { { 0, 0 }, { 10, 0 }, { 0, 10 } });
        var labels = Enumerable.Range(0, 60).Select(i => (long)(i % 3)).ToArray();
        using var index = tensor(labels);
        var x = centres.index_select(0, index).add(randn([60, 2], generator: g).mul(0.1)); // [60, 2]
        return (x, labels);
    }

    [Fact]
    public void Fit_RecoversWellSeparatedBlobs()
    {
        var (x, labels) = Blobs();
        using var _ = x;
        using var result = KMeans.Fit(x, 3, new KMeansOptions { Seed = 1, Restarts = 2 });
        Assert.Equal(100.0, ClusteringMetrics.Accuracy(labels, result.Assignments));
        Assert.Equal(1.0, ClusteringMetrics.Nmi(labels, result.Assignments), 9);
        // Inertia ≈ 60 points × 2 dims × σ² = 1.2; far below the 10² a misplaced centre would cost.
        Assert.InRange(result.Inertia, 0.3, 3);
    }

    [Fact]
    public void Fit_IsDeterministicGivenTheSeed()
    {
        var (x, _) = Blobs(5);
        using var _x = x;
        using var a = KMeans.Fit(x, 4, new KMeansOptions { Seed = 7, Restarts = 3 });
        using var b = KMeans.Fit(x, 4, new KMeansOptions { Seed = 7, Restarts = 3 });
        Assert.Equal(a.Assignments, b.Assignments);
        Assert.True(a.Centroids.eq(b.Centroids).all().item<bool>());
        Assert.Equal(a.Inertia, b.Inertia);
    }

    [Fact]
    public void Fit_WithKEqualToTheRowCount_PutsEveryRowInItsOwnCluster()
    {
        using var x = tensor(new float[,] { { 0, 0 }, { 1, 0 }, { 5, 5 } });
        using var result = KMeans.Fit(x, 3, new KMeansOptions { Restarts = 1 });
        Assert.Equal(3, result.Assignments.Distinct().Count());
        Assert.Equal(0.0, result.Inertia, 9);
    }

    [Fact]
    public void Nearest_GivesSquaredDistanceAndIndexOfTheClosestCentroid()
    {
        using var x = tensor(new float[,] { { 0, 0 }, { 3, 4 } });
        using var c = tensor(new float[,] { { 0, 1 }, { 3, 0 } });
        var (d, i) = KMeans.Nearest(x, c);
        Assert.Equal(new float[] { 1, 16 }, d.data<float>().ToArray());
        Assert.Equal(new long[] { 0, 1 }, i.data<long>().ToArray());
    }

    [Fact]
    public void Fit_RejectsMoreClustersThanRows()
    {
        using var x = zeros(2, 3);
        var error = Assert.Throws<ArgumentException>(() => KMeans.Fit(x, 3));
        Assert.Contains("k must be in [1, 2]", error.Message);
    }
}
