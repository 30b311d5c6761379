using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfSup.Evaluation;

/// <summary>
/// supervised.json: the MedMNIST v2 supervised baseline (<see cref="SupervisedBaseline"/>), with the validation AUC of
/// every epoch and the test ACC and AUC (fractions, as MedMNIST reports them) of the epoch with the best one.
/// </summary>
public sealed record SupervisedBaselineResults
{
    [JsonPropertyName("protocol")] public string Protocol { get; init; } = "medmnist-v2";
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("encoder")] public required string Encoder { get; init; }
    [JsonPropertyName("train_images")] public int TrainImages { get; init; }
    [JsonPropertyName("val_images")] public int ValImages { get; init; }
    [JsonPropertyName("test_images")] public int TestImages { get; init; }
    /// <summary>Where the validation split comes from: "given" (the dataset's own) or the hold-out of the training split that made it.</summary>
    [JsonPropertyName("val_split")] public string? ValSplit { get; init; }
    [JsonPropertyName("test_split")] public string? TestSplit { get; init; }
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    /// <summary>Epochs actually run (fewer than <see cref="Epochs"/> when a time limit stopped the run).</summary>
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "adam";
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    [JsonPropertyName("lr_milestone_epochs")] public IReadOnlyList<int> MilestoneEpochs { get; init; } = [];
    [JsonPropertyName("lr_gamma")] public double Gamma { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    /// <summary>The epoch (0-based) whose weights were scored on the test split: the best validation AUC.</summary>
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("best_val_auc")] public double BestValAuc { get; init; }
    [JsonPropertyName("test_acc")] public double TestAcc { get; init; }
    [JsonPropertyName("test_auc")] public double TestAuc { get; init; }
    [JsonPropertyName("epochs_history")] public required IReadOnlyList<SupervisedEpoch> History { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static SupervisedBaselineResults FromJson(string json) =>
        JsonSerializer.Deserialize<SupervisedBaselineResults>(json, Options) ?? throw new InvalidDataException("supervised baseline results: empty JSON");

    /// <summary>One line: test ACC and AUC of the kept epoch and how it was chosen.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Encoder} on {Dataset}: test ACC {TestAcc:F3}, AUC {TestAuc:F3} ({TestImages} images) at epoch {BestEpoch + 1} of {EpochsRun}, " +
        $"chosen by validation AUC {BestValAuc:F3} ({ValImages} images); Adam lr {LearningRate:G3} × {Gamma:G2} at epochs {string.Join(", ", MilestoneEpochs)}, batch {BatchSize}, {Seconds:F0} s");
}
