using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>How well the k-NN score separates in-distribution test images from shifted ones.</summary>
public sealed record OodScores(
    [property: JsonPropertyName("auroc")] double Auroc,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("in_images")] int InImages,
    [property: JsonPropertyName("out_images")] int OutImages,
    [property: JsonPropertyName("mean_score_in")] double MeanScoreIn,
    [property: JsonPropertyName("mean_score_out")] double MeanScoreOut);

/// <summary>
/// Out-of-distribution detection with nearest neighbours in feature space (Sun et al. 2022, "Out-of-Distribution
/// Detection with Deep Nearest Neighbors"): an image far from every training embedding is likely from another
/// distribution. The score is 1 − cosine similarity to the k-th most similar training embedding (k = 1: one minus
/// the maximum similarity), so higher means more out-of-distribution.
/// </summary>
public static class OutOfDistribution
{
    const long ChunkElements = 1L << 24;

    /// <summary>Scores [N] (float32, CPU) of <paramref name="x"/> [N, D] against the bank [M, D].</summary>
    public static Tensor KnnScores(Tensor bank, Tensor x, int k = 1)
    {
        if (bank.dim() != 2 || x.dim() != 2 || bank.shape[1] != x.shape[1])
            throw new ArgumentException($"OOD: bank and features must be [N, D] with the same D, got [{string.Join(", ", bank.shape)}] and [{string.Join(", ", x.shape)}]");
        if (k <= 0 || k > bank.shape[0]) throw new ArgumentException($"OOD: k must be in [1, {bank.shape[0]}] (the bank size), got {k}");
        using var scope = NewDisposeScope();
        var device = bank.device;
        var bankT = nn.functional.normalize(bank.to(ScalarType.Float32), dim: 1).t().contiguous(); // [D, M]
        var n = x.shape[0];
        var scores = empty([n], ScalarType.Float32); // [N], CPU
        var chunk = Math.Max(1, ChunkElements / bank.shape[0]);
        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var b = Math.Min(chunk, n - start);
            var q = nn.functional.normalize(x.narrow(0, start, b).to(ScalarType.Float32).to(device), dim: 1); // [b, D]
            var kth = q.matmul(bankT).topk(k, dim: 1).values.select(1, k - 1); // [b]
            scores.narrow(0, start, b).copy_(kth.neg().add_(1).cpu());
        }
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Area under the ROC curve of separating <paramref name="outScores"/> (positives) from <paramref name="inScores"/>
    /// by the score, computed exactly as the Mann–Whitney statistic: the probability that a random positive scores
    /// above a random negative, ties counted one half (average ranks). 0.5 is chance, 1 perfect separation.
    /// </summary>
    public static double Auroc(IReadOnlyList<double> inScores, IReadOnlyList<double> outScores)
    {
        if (inScores.Count == 0 || outScores.Count == 0)
            throw new ArgumentException($"AUROC needs scores of both kinds, got {inScores.Count} in-distribution and {outScores.Count} out-of-distribution");
        var all = new (double Score, bool Positive)[inScores.Count + outScores.Count];
        for (var i = 0; i < inScores.Count; i++) all[i] = (inScores[i], false);
        for (var i = 0; i < outScores.Count; i++) all[inScores.Count + i] = (outScores[i], true);
        if (all.Any(a => double.IsNaN(a.Score))) throw new ArgumentException("AUROC: a score is NaN");
        Array.Sort(all, (a, b) => a.Score.CompareTo(b.Score));
        double positiveRankSum = 0;
        for (var start = 0; start < all.Length;)
        {
            var end = start;
            while (end < all.Length && all[end].Score == all[start].Score) end++;
            var averageRank = (start + 1 + end) / 2.0; // ranks start + 1 … end, 1-based
            for (var i = start; i < end; i++)
                if (all[i].Positive) positiveRankSum += averageRank;
            start = end;
        }
        double p = outScores.Count, n = inScores.Count;
        return (positiveRankSum - p * (p + 1) / 2) / (p * n);
    }

    /// <summary>Scores in-distribution and shifted features against the training bank and measures their separation.</summary>
    public static OodScores Evaluate(Tensor bank, Tensor inFeatures, Tensor outFeatures, int k = 1)
    {
        using var inScores = KnnScores(bank, inFeatures, k);
        using var outScores = KnnScores(bank, outFeatures, k);
        var a = inScores.to(ScalarType.Float64).data<double>().ToArray();
        var b = outScores.to(ScalarType.Float64).data<double>().ToArray();
        return new OodScores(Auroc(a, b), k, a.Length, b.Length, a.Average(), b.Average());
    }
}
