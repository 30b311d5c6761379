using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>Retrieval scores in percent: recall@k per k, and mean average precision over the full ranking.</summary>
public sealed record RetrievalScores(
    [property: JsonPropertyName("recall_at")] IReadOnlyDictionary<int, double> RecallAt,
    [property: JsonPropertyName("map")] double MeanAveragePrecision,
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("gallery")] int Gallery);

/// <summary>
/// Content-based image retrieval on frozen features: every query ranks the gallery by cosine similarity. A query
/// counts for recall@k when any of its k most similar gallery items shares its label; its average precision is the
/// mean, over the gallery items of its label, of the precision at their rank. Ties in similarity are ranked in an
/// unspecified order. Similarities are computed for a chunk of queries at a time, which bounds memory.
/// </summary>
public static class Retrieval
{
    /// <summary>Ranking-matrix elements per query chunk (~8M: similarities, order, relevance and running counts).</summary>
    const long ChunkElements = 1L << 23;

    static readonly int[] DefaultKs = [1, 5, 10];

    /// <summary>Queries [Nq, D] against a separate gallery [Ng, D] (e.g. test split against train split).</summary>
    public static RetrievalScores Evaluate(Tensor queries, long[] queryLabels, Tensor gallery, long[] galleryLabels,
        IReadOnlyList<int>? ks = null) =>
        Run(queries, queryLabels, gallery, galleryLabels, ks ?? DefaultKs, leaveOneOut: false);

    /// <summary>Every row queries all the other rows of the same set (itself excluded from ranking and relevance).</summary>
    public static RetrievalScores LeaveOneOut(Tensor features, long[] labels, IReadOnlyList<int>? ks = null) =>
        Run(features, labels, features, labels, ks ?? DefaultKs, leaveOneOut: true);

    static RetrievalScores Run(Tensor queries, long[] queryLabels, Tensor gallery, long[] galleryLabels,
        IReadOnlyList<int> ks, bool leaveOneOut)
    {
        Validate(queries, queryLabels, gallery, galleryLabels, ks, leaveOneOut);
        using var scope = NewDisposeScope();
        var device = gallery.device;
        var nq = queries.shape[0];
        var ranked = gallery.shape[0] - (leaveOneOut ? 1 : 0); // gallery items each query ranks
        var g = nn.functional.normalize(gallery.to(ScalarType.Float32), dim: 1).t().contiguous(); // [D, Ng]
        var gLabels = tensor(galleryLabels, ScalarType.Int64, device); // [Ng]
        var positions = arange(1, ranked + 1, ScalarType.Float32, device).unsqueeze(0); // [1, ranked]
        var hitsAt = new long[ks.Count];
        double apSum = 0;
        long apQueries = 0;
        var chunk = Math.Max(1, Math.Min(nq, ChunkElements / Math.Max(1, gallery.shape[0])));
        for (long start = 0; start < nq; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var b = Math.Min(chunk, nq - start);
            var q = nn.functional.normalize(queries.narrow(0, start, b).to(ScalarType.Float32).to(device), dim: 1); // [b, D]
            var sim = q.matmul(g); // [b, Ng]
            if (leaveOneOut)
            {
                // Each query's own row sinks to the bottom of its ranking and is cut off below.
                var self = arange(start, start + b, ScalarType.Int64, device).unsqueeze(1); // [b, 1]
                sim.scatter_(1, self, full([b, 1], float.NegativeInfinity, ScalarType.Float32, device));
            }
            var order = sim.argsort(1, descending: true).narrow(1, 0, ranked); // [b, ranked]
            var qLabels = tensor(queryLabels.AsSpan((int)start, (int)b).ToArray(), ScalarType.Int64, device).unsqueeze(1); // [b, 1]
            var relevant = gLabels.index_select(0, order.reshape(-1)).view(b, ranked).eq(qLabels); // [b, ranked]
            for (var i = 0; i < ks.Count; i++)
                hitsAt[i] += relevant.narrow(1, 0, Math.Min(ks[i], ranked)).any(1).sum().item<long>();
            var rel = relevant.to(ScalarType.Float32); // [b, ranked]
            var precision = rel.cumsum(1).div_(positions); // [b, ranked]: precision at each rank
            var count = rel.sum(1); // [b]
            var hasAny = count.gt(0); // queries without any relevant item have no AP
            var ap = precision.mul_(rel).sum(1).div_(count.clamp_min(1)); // [b]
            apSum += ap.masked_select(hasAny).to(ScalarType.Float64).sum().item<double>();
            apQueries += hasAny.sum().item<long>();
        }
        var recall = new Dictionary<int, double>();
        for (var i = 0; i < ks.Count; i++) recall[ks[i]] = 100.0 * hitsAt[i] / nq;
        return new RetrievalScores(recall, apQueries == 0 ? 0 : 100.0 * apSum / apQueries, (int)nq, (int)gallery.shape[0]);
    }

    static void Validate(Tensor queries, long[] queryLabels, Tensor gallery, long[] galleryLabels, IReadOnlyList<int> ks, bool leaveOneOut)
    {
        if (queries.dim() != 2 || gallery.dim() != 2 || queries.shape[1] != gallery.shape[1])
            throw new ArgumentException($"retrieval: queries and gallery must be [N, D] with the same D, got [{string.Join(", ", queries.shape)}] and [{string.Join(", ", gallery.shape)}]");
        if (queryLabels.Length != queries.shape[0])
            throw new ArgumentException($"retrieval: {queries.shape[0]} query rows but {queryLabels.Length} query labels; expected one label per row");
        if (galleryLabels.Length != gallery.shape[0])
            throw new ArgumentException($"retrieval: {gallery.shape[0]} gallery rows but {galleryLabels.Length} gallery labels; expected one label per row");
        if (queryLabels.Length == 0) throw new ArgumentException("retrieval: no queries");
        if (galleryLabels.Length < (leaveOneOut ? 2 : 1)) throw new ArgumentException($"retrieval: the gallery needs at least {(leaveOneOut ? 2 : 1)} rows, got {galleryLabels.Length}");
        if (ks.Count == 0 || ks.Any(k => k <= 0)) throw new ArgumentException($"retrieval: recall cut-offs must be positive, got [{string.Join(", ", ks)}]");
    }
}
