using SelfSup.Search;
using static TorchSharp.torch;

namespace SelfSup.Tests.Search;

public class ExactCosineSearchTests
{
    public ExactCosineSearchTests() => TorchRuntime.Initialize();

    [Fact]
    public void TopK_RanksByCosine_NotByLength()
    {
        using var gallery = tensor(new float[] { 1, 0, 0, 5, 3, 3, -1, 0, 10, 1 }, [5, 2]);
        using var query = tensor(new float[] { 2, 0 }, [1, 2]);
        var (scores, rows) = ExactCosineSearch.TopK(query, gallery, 3);
        // cos to [1, 0]: row 0 → 1, row 4 ([10, 1]) → 10/√101 = 0.99504, row 2 ([3, 3]) → 1/√2 = 0.70711.
        Assert.Equal(new long[] { 0, 4, 2 }, rows[0]);
        Assert.Equal(1f, scores[0][0], 1e-6f);
        Assert.Equal(10 / MathF.Sqrt(101), scores[0][1], 1e-6f);
        Assert.Equal(1 / MathF.Sqrt(2), scores[0][2], 1e-6f);
    }

    [Fact]
    public void TopK_InSmallChunks_EqualsOneBlock()
    {
        using var g = manual_seed(4);
        using var gallery = randn(1000, 16); // [N, D]
        using var queries = randn(7, 16);
        var (whole, wholeRows) = ExactCosineSearch.TopK(queries, gallery, 10);
        var (chunked, chunkedRows) = ExactCosineSearch.TopK(queries, gallery, 10, chunkRows: 37);
        Assert.Equal(wholeRows, chunkedRows);
        for (var q = 0; q < 7; q++)
            for (var j = 0; j < 10; j++) Assert.Equal(whole[q][j], chunked[q][j], 1e-6f);
    }

    [Fact]
    public void TopK_ReturnsEveryRow_WhenKExceedsTheGallery()
    {
        using var gallery = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var query = tensor(new float[] { 0, 1 }, [1, 2]);
        var (_, rows) = ExactCosineSearch.TopK(query, gallery, 10, chunkRows: 1);
        Assert.Equal(new long[] { 1, 0 }, rows[0]);
    }
}
