using SelfSup.Evaluation;

namespace SelfSup.Tests.Evaluation;

public class ClusteringMetricsTests
{
    static readonly long[] Truth = [0, 0, 1, 1, 2, 2];

    [Fact]
    public void PerfectAndRenamedClusterings_ScoreOne()
    {
        long[] renamed = [7, 7, 3, 3, 5, 5];
        foreach (var predicted in new[] { Truth, renamed })
        {
            Assert.Equal(1.0, ClusteringMetrics.Nmi(Truth, predicted), 12);
            Assert.Equal(1.0, ClusteringMetrics.Ari(Truth, predicted), 12);
            Assert.Equal(100.0, ClusteringMetrics.Accuracy(Truth, predicted), 12);
        }
    }

    [Fact]
    public void IndependentClusterings_ShareNoInformation()
    {
        // Every cluster holds one sample of each class: MI = 0; pairs: Σ C(n_ij, 2) = 0, Σ C(a, 2) = Σ C(b, 2) = 2,
        // C(4, 2) = 6, so E = 2·2/6 = 2/3, max = 2 and ARI = (0 − 2/3) / (2 − 2/3) = −0.5.
        long[] truth = [0, 0, 1, 1];
        long[] predicted = [0, 1, 0, 1];
        Assert.Equal(0.0, ClusteringMetrics.Nmi(truth, predicted), 12);
        Assert.Equal(-0.5, ClusteringMetrics.Ari(truth, predicted), 12);
        Assert.Equal(50.0, ClusteringMetrics.Accuracy(truth, predicted), 12);
    }

    [Fact]
    public void Nmi_MatchesAHandComputedTwoByTwoCase()
    {
        // truth [0,0,1,1], predicted [0,0,0,1]: contingency [[2,0],[1,1]], N = 4, rows (2,2), columns (3,1).
        // MI = ½·ln(4/3) + ¼·ln(2/3) + ¼·ln 2 = 0.2157616; H(U) = ln 2 = 0.6931472;
        // H(V) = −(¾ ln ¾ + ¼ ln ¼) = 0.5623351; NMI = MI / ((H(U) + H(V)) / 2) = 0.3437110.
        long[] truth = [0, 0, 1, 1];
        long[] predicted = [0, 0, 0, 1];
        var expected = (0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2))
            / ((Math.Log(2) - (0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25))) / 2);
        Assert.Equal(0.3437110, expected, 6);
        Assert.Equal(expected, ClusteringMetrics.Nmi(truth, predicted), 12);
    }

    [Fact]
    public void Ari_MatchesHandComputedCases()
    {
        // [0,0,1,1] vs [0,0,0,1]: Σ C(n_ij,2) = 1, Σ C(a,2) = 2, Σ C(b,2) = 3, E = 2·3/6 = 1 → ARI = 0.
        Assert.Equal(0.0, ClusteringMetrics.Ari([0, 0, 1, 1], [0, 0, 0, 1]), 12);
        // [0,0,1,1] vs [0,0,1,2]: Σ C(n_ij,2) = 1, Σ C(a,2) = 2, Σ C(b,2) = 1, E = 1/3, max = 3/2 → (2/3)/(7/6) = 4/7.
        Assert.Equal(4.0 / 7, ClusteringMetrics.Ari([0, 0, 1, 1], [0, 0, 1, 2]), 12);
    }

    [Fact]
    public void Accuracy_UsesTheBestOneToOneMapping()
    {
        // Cluster 0 ↔ class 0 (2 hits) and cluster 1 ↔ class 1 (1 hit): 3 of 4.
        Assert.Equal(75.0, ClusteringMetrics.Accuracy([0, 0, 1, 1], [0, 0, 0, 1]), 12);
        // More clusters than classes: only one cluster can map to each class.
        Assert.Equal(50.0, ClusteringMetrics.Accuracy([0, 0, 0, 0], [0, 0, 1, 2]), 12);
    }

    [Fact]
    public void SingleGroupOnBothSides_CountsAsPerfectAgreement()
    {
        Assert.Equal(1.0, ClusteringMetrics.Nmi([4, 4, 4], [1, 1, 1]));
        Assert.Equal(1.0, ClusteringMetrics.Ari([4, 4, 4], [1, 1, 1]));
    }

    [Fact]
    public void MismatchedLabelCounts_AreOneClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => ClusteringMetrics.Nmi([0, 1, 2], [0, 1]));
        Assert.Contains("3 true labels but 2 predicted labels", error.Message);
    }
}
