using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class RetrievalTests
{
    public RetrievalTests() => TorchRuntime.Initialize();

    // Gallery g0 = (1, 0.1) B, g1 = (1, 0.5) A, g2 = (0, 1) B, g3 = (−1, 0.2) A.
    static Tensor Gallery() => tensor(new float[,] { { 1, 0.1f }, { 1, 0.5f }, { 0, 1 }, { -1, 0.2f } });
    static readonly long[] GalleryLabels = [1, 0, 1, 0];

    [Fact]
    public void RecallAndMap_MatchHandComputedRankings()
    {
        // q0 = (1, 0), label A: ranking g0 B, g1 A, g2 B, g3 A → hits at ranks 2 and 4, AP = (1/2 + 2/4)/2 = 0.5.
        // q1 = (−1, 0), label A: ranking g3 A, g2 B, g1 A, g0 B → hits at ranks 1 and 3, AP = (1 + 2/3)/2 = 5/6.
        using var queries = tensor(new float[,] { { 1, 0 }, { -1, 0 } });
        using var gallery = Gallery();
        var s = Retrieval.Evaluate(queries, [0, 0], gallery, GalleryLabels, [1, 2, 5]);
        Assert.Equal(50.0, s.RecallAt[1], 9); // only q1 has a hit at rank 1
        Assert.Equal(100.0, s.RecallAt[2], 9);
        Assert.Equal(100.0, s.RecallAt[5], 9); // k beyond the gallery size is the whole gallery
        Assert.Equal(100.0 * (0.5 + 5.0 / 6) / 2, s.MeanAveragePrecision, 4);
        Assert.Equal(2, s.Queries);
        Assert.Equal(4, s.Gallery);
    }

    [Fact]
    public void LeaveOneOut_NeverRetrievesTheQueryItself()
    {
        // Rows 0 and 1 have unique labels: with themselves excluded they can hit nothing (recall misses, no AP);
        // rows 2 and 3 are each other's nearest neighbour (one relevant item at rank 1: AP = 1).
        using var x = tensor(new float[,] { { 1, 0 }, { 0.9f, 0.1f }, { 0, 1 }, { 0.1f, 0.9f } });
        var s = Retrieval.LeaveOneOut(x, [0, 1, 2, 2], [1]);
        Assert.Equal(50.0, s.RecallAt[1], 9);
        Assert.Equal(100.0, s.MeanAveragePrecision, 4);
    }

    [Fact]
    public void Evaluate_RejectsMismatchedLabelCounts()
    {
        using var queries = zeros(3, 2);
        using var gallery = Gallery();
        var error = Assert.Throws<ArgumentException>(() => Retrieval.Evaluate(queries, [0, 1], gallery, GalleryLabels));
        Assert.Contains("3 query rows but 2 query labels", error.Message);
    }
}
