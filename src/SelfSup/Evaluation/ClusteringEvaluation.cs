using System.Text.Json.Serialization;
using SelfSup.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>How well k-means clusters of one feature set agree with the classes.</summary>
public sealed record ClusteringScores(
    [property: JsonPropertyName("nmi")] double Nmi,
    [property: JsonPropertyName("ari")] double Ari,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("inertia")] double Inertia,
    [property: JsonPropertyName("iterations")] int Iterations);

/// <summary>
/// Clusters frozen features with k-means (k = number of classes unless told otherwise) and scores the clusters
/// against the labels, which k-means never sees. Features are L2-normalised first by default: embeddings are
/// compared by cosine everywhere else (k-NN, retrieval), and on the unit sphere squared distance is 2 − 2·cos.
/// </summary>
public static class ClusteringEvaluation
{
    /// <summary>The file `selfsup eval cluster` writes into the run folder and `selfsup report` shows.</summary>
    public const string ResultFile = "clustering.json";

    public static ClusteringScores Score(Tensor features, long[] labels, int? k = null, KMeansOptions? options = null,
        bool normalize = true)
    {
        if (features.dim() != 2)
            throw new ArgumentException($"clustering: features must be [N, D], got [{string.Join(", ", features.shape)}]");
        if (labels.Length != features.shape[0])
            throw new ArgumentException($"clustering: {features.shape[0]} feature rows but {labels.Length} labels; expected one label per row");
        var clusters = k ?? labels.Distinct().Count();
        using var scope = NewDisposeScope();
        var x = features.to(ScalarType.Float32);
        if (normalize) x = nn.functional.normalize(x, dim: 1); // [N, D]
        using var result = KMeans.Fit(x, clusters, options);
        return new ClusteringScores(
            ClusteringMetrics.Nmi(labels, result.Assignments),
            ClusteringMetrics.Ari(labels, result.Assignments),
            ClusteringMetrics.Accuracy(labels, result.Assignments),
            clusters, result.Inertia, result.Iterations);
    }
}
