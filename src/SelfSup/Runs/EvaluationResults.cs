using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfSup.Runs;

/// <summary>Top-1 accuracies (percent) of one feature source under k-NN and a linear probe.</summary>
public sealed record ProbeScores(
    [property: JsonPropertyName("knn_top1")] double KnnTop1,
    [property: JsonPropertyName("linear_top1")] double LinearTop1);

/// <summary>What results.json holds: the pretrained encoder against a fair random-init twin and raw pixels.</summary>
public sealed record EvaluationResults
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("encoder")] public required string Encoder { get; init; }
    [JsonPropertyName("width")] public int Width { get; init; }
    [JsonPropertyName("epochs")] public double Epochs { get; init; }
    [JsonPropertyName("steps")] public long Steps { get; init; }
    [JsonPropertyName("pretrain_images")] public int PretrainImages { get; init; }
    [JsonPropertyName("eval_train_images")] public int EvalTrainImages { get; init; }
    [JsonPropertyName("eval_test_images")] public int EvalTestImages { get; init; }
    /// <summary>"given" when the dataset has its own test split or <c>--test-data</c> gives one, else the hold-out that made it ("held_out_20pct_seed_0").</summary>
    [JsonPropertyName("test_split")] public string? TestSplit { get; init; }
    /// <summary>Where a given test split that is not the dataset's own comes from (<c>--test-data</c>); null otherwise.</summary>
    [JsonPropertyName("test_split_source")] public string? TestSplitSource { get; init; }
    /// <summary>Images in the train and test splits before any <c>--train-limit</c>.</summary>
    [JsonPropertyName("split_train_images")] public int? SplitTrainImages { get; init; }
    [JsonPropertyName("split_test_images")] public int? SplitTestImages { get; init; }
    [JsonPropertyName("knn_top1")] public double KnnTop1 { get; init; }
    [JsonPropertyName("linear_top1")] public double LinearTop1 { get; init; }
    [JsonPropertyName("random_init")] public required ProbeScores RandomInit { get; init; }
    [JsonPropertyName("raw_pixels")] public required ProbeScores RawPixels { get; init; }
    /// <summary>Training images behind the raw-pixel scores (a seeded subset; pixels are costly to compare).</summary>
    /// <summary>Name of the pretext score (e.g. "rotation accuracy") of a pretext-task method (<see cref="Methods.IPretextTask"/>); null for other methods.</summary>
    [JsonPropertyName("pretext_metric")] public string? PretextMetric { get; init; }
    /// <summary>Pretext accuracy (percent) on the test split; null for methods without a pretext task.</summary>
    [JsonPropertyName("pretext_accuracy")] public double? PretextAccuracy { get; init; }
    /// <summary>Accuracy (percent) of a random guess on the pretext targets, the level to compare with; null for methods without a pretext task.</summary>
    [JsonPropertyName("pretext_chance")] public double? PretextChance { get; init; }
    /// <summary>A pretext task's further named scores on the test split (<see cref="Methods.IPretextExtraScores"/>, e.g. a baseline's accuracy or an error); null for other methods.</summary>
    [JsonPropertyName("pretext_scores")] public IReadOnlyDictionary<string, double>? PretextScores { get; init; }
    [JsonPropertyName("raw_pixels_train_images")] public int RawPixelsTrainImages { get; init; }
    [JsonPropertyName("knn_k")] public int KnnK { get; init; }
    [JsonPropertyName("knn_temperature")] public double KnnTemperature { get; init; }
    /// <summary>Whether the trained encoder's BatchNorm statistics were re-estimated on clean training images.</summary>
    [JsonPropertyName("trained_batchnorm_reestimated")] public bool TrainedBatchNormReestimated { get; init; }
    /// <summary>Wall time of the evaluation.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    /// <summary>Wall time of pretraining when known (the demo measures both).</summary>
    [JsonPropertyName("pretrain_seconds")] public double? PretrainSeconds { get; init; }
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Writes results.json atomically.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, path, overwrite: true);
    }

    public static EvaluationResults Load(string path) =>
        JsonSerializer.Deserialize<EvaluationResults>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path}: empty results file");
}
