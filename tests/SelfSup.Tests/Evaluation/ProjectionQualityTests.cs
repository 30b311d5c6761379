using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class ProjectionQualityTests
{
    // 1-D positions with no tied distances; the layout swaps the first and last points.
    static readonly double[] High = [0, 1, 3, 7, 12];
    static readonly double[] Swapped = [12, 1, 3, 7, 0];

    static Tensor Column(double[] v) => tensor(v).unsqueeze(1);

    [Fact]
    public void AnIdentityLayout_PreservesEveryNeighbourhood_AndIsFullyTrustworthy()
    {
        using var g = new Generator(1);
        using var x = randn([50, 2], dtype: ScalarType.Float64, generator: g);
        Assert.Equal(1.0, ProjectionQuality.KnnPreservation(x, x, k: 5));
        Assert.Equal(1.0, ProjectionQuality.Trustworthiness(x, x, k: 5), 1e-12);
    }

    [Fact]
    public void KnnPreservation_MatchesAHandCount()
    {
        // Nearest neighbours, input: 0→1, 1→0, 2→1, 3→2, 4→3; layout: 0→3, 1→4, 2→1, 3→2, 4→1. Two of five agree.
        Assert.Equal(0.4, ProjectionQuality.KnnPreservation(Column(High), Column(Swapped), k: 1), 1e-12);
    }

    [Fact]
    public void Trustworthiness_MatchesAHandComputedValue()
    {
        // Layout neighbours' input ranks: 3, 4, 1, 1, 3 → penalties 2 + 3 + 0 + 0 + 2 = 7; T = 1 − 2/(5·1·6)·7.
        Assert.Equal(1 - 14.0 / 30, ProjectionQuality.Trustworthiness(Column(High), Column(Swapped), k: 1), 1e-12);
    }

    [Fact]
    public void LayoutKnnAccuracy_CountsPointsWhoseNeighbourSharesTheirLabel()
    {
        // The point at 13 has its nearest neighbour (11) in the other class; the other five agree.
        var accuracy = ProjectionQuality.LayoutKnnAccuracy(Column([0, 1, 3, 10, 11, 13]), [0, 0, 0, 1, 1, 0], k: 1);
        Assert.Equal(500.0 / 6, accuracy, 1e-9);
    }

    [Fact]
    public void Measures_RejectMismatchedPointCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => ProjectionQuality.KnnPreservation(Column(High), Column([1, 2, 3]), k: 1));
        Assert.Contains("5 points", e.Message);
    }
}
