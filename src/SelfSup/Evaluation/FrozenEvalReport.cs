using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SelfSup.Evaluation;

/// <summary>k-NN and linear-probe scores of one feature set.</summary>
public sealed class FeatureScores
{
    public FeatureScores(KnnResult knn, LinearProbeResult linear)
    {
        Knn = knn;
        Linear = linear;
    }

    [JsonIgnore] public KnnResult Knn { get; }
    [JsonIgnore] public LinearProbeResult Linear { get; }

    [JsonPropertyName("knn_top1")] public double KnnTop1 => Knn.Top1;
    [JsonPropertyName("linear_top1")] public double LinearTop1 => Linear.Top1;
}

/// <summary>
/// Frozen-feature scores of a trained encoder next to its two baselines: the same architecture at random init (with
/// re-estimated BatchNorm statistics) and the raw pixels. Serialises to
/// {"knn_top1", "linear_top1", "random_init": {…}, "raw_pixels": {…}}; the caller adds run metadata and timing.
/// </summary>
public sealed class FrozenEvalReport
{
    public FrozenEvalReport(FeatureScores trained, FeatureScores randomInit, FeatureScores rawPixels, double seconds)
    {
        Trained = trained;
        RandomInit = randomInit;
        RawPixels = rawPixels;
        Seconds = seconds;
    }

    [JsonIgnore] public FeatureScores Trained { get; }
    [JsonIgnore] public KnnResult Knn => Trained.Knn;
    [JsonIgnore] public LinearProbeResult Linear => Trained.Linear;

    [JsonPropertyName("knn_top1")] public double KnnTop1 => Trained.KnnTop1;
    [JsonPropertyName("linear_top1")] public double LinearTop1 => Trained.LinearTop1;
    [JsonPropertyName("random_init")] public FeatureScores RandomInit { get; }
    [JsonPropertyName("raw_pixels")] public FeatureScores RawPixels { get; }

    /// <summary>Wall-clock time of the whole evaluation (not serialised: the CLI writes its own "seconds").</summary>
    [JsonIgnore] public double Seconds { get; }

    public string ToJson(bool indented = true) =>
        JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>The JSON as a mutable object, so callers can add method/dataset/encoder/epochs/seconds.</summary>
    public JsonObject ToJsonObject() => JsonSerializer.SerializeToNode(this)!.AsObject();
}
