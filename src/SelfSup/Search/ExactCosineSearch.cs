using static TorchSharp.torch;

namespace SelfSup.Search;

/// <summary>
/// Exact nearest neighbours by cosine similarity: queries and gallery rows are L2-normalised and compared by a matrix
/// product, <see cref="DefaultChunkRows"/> gallery rows at a time, keeping the running top-k, so memory holds one
/// [Q, chunk] similarity block whatever the gallery size. Ties keep no particular order.
/// </summary>
public static class ExactCosineSearch
{
    /// <summary>Gallery rows compared per matrix product.</summary>
    public const int DefaultChunkRows = 65_536;

    /// <summary>
    /// For each query row [Q, D], the <paramref name="k"/> gallery rows [N, D] with the highest cosine similarity, best
    /// first: (scores [Q][k], row indices [Q][k]). k larger than N returns all N rows. With
    /// <paramref name="galleryIsUnit"/> the gallery rows are taken as already L2-normalised (an index stores them so).
    /// </summary>
    public static (float[][] Scores, long[][] Rows) TopK(Tensor queries, Tensor gallery, int k, int chunkRows = DefaultChunkRows, bool galleryIsUnit = false)
    {
        if (k < 1) throw new ArgumentException($"k must be at least 1, got {k}");
        if (chunkRows < 1) throw new ArgumentException($"chunk rows must be at least 1, got {chunkRows}");
        if (queries.dim() != 2 || gallery.dim() != 2 || queries.shape[1] != gallery.shape[1])
            throw new ArgumentException($"queries [{string.Join(", ", queries.shape)}] and gallery [{string.Join(", ", gallery.shape)}]: expected [Q, D] and [N, D] with the same D");
        var n = gallery.shape[0];
        if (n == 0) throw new ArgumentException("the gallery is empty");
        using var scope = NewDisposeScope();
        var q = nn.functional.normalize(queries.to(ScalarType.Float32), dim: 1); // [Q, D]
        Tensor? bestScores = null, bestRows = null; // [Q, ≤ k]
        for (long start = 0; start < n; start += chunkRows)
        {
            var count = Math.Min(chunkRows, n - start);
            var g = gallery.narrow(0, start, count).to(ScalarType.Float32).to(q.device); // [c, D]
            if (!galleryIsUnit) g = nn.functional.normalize(g, dim: 1);
            var sim = q.matmul(g.t()); // [Q, c]
            var (scores, rows) = sim.topk((int)Math.Min(k, count), 1); // [Q, ≤ k]
            rows = rows + start;
            if (bestScores is null)
            {
                (bestScores, bestRows) = (scores, rows);
                continue;
            }
            var allScores = cat([bestScores, scores], 1); // [Q, ≤ 2k]
            var allRows = cat([bestRows!, rows], 1);
            var (top, at) = allScores.topk((int)Math.Min(k, allScores.shape[1]), 1);
            (bestScores, bestRows) = (top, allRows.gather(1, at));
        }
        return (ToJagged<float>(bestScores!.cpu().contiguous()), ToJagged<long>(bestRows!.cpu().contiguous()));
    }

    static T[][] ToJagged<T>(Tensor t) where T : unmanaged
    {
        var (rows, cols) = ((int)t.shape[0], (int)t.shape[1]);
        var flat = t.data<T>().ToArray();
        return Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
    }
}
