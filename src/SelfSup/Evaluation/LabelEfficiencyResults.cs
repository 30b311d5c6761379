using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfSup.Evaluation;

/// <summary>Test top-1 (%) of one arm at one labels-per-class point: mean and sample standard deviation over seeds, and each seed's value.</summary>
public sealed record ArmScore(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double Std,
    [property: JsonPropertyName("runs")] IReadOnlyList<double> Runs)
{
    public static ArmScore Of(IReadOnlyList<double> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("ArmScore: no runs to summarise");
        var mean = runs.Average();
        var std = runs.Count > 1 ? Math.Sqrt(runs.Sum(r => (r - mean) * (r - mean)) / (runs.Count - 1)) : 0;
        return new ArmScore(Math.Round(mean, 2), Math.Round(std, 2), runs.Select(r => Math.Round(r, 2)).ToArray());
    }
}

/// <summary>One point of the curve: the three arms trained on the same class-balanced subsets.</summary>
public sealed record LabelEfficiencyPoint
{
    /// <summary>"1", "10", … a percentage of the training labels ("1%", "10%") or "all".</summary>
    [JsonPropertyName("labels_per_class")] public required string LabelsPerClass { get; init; }
    /// <summary>Mean labelled images per class (the x position on the plot; for a percentage or "all", labelled images / classes).</summary>
    [JsonPropertyName("per_class")] public double PerClass { get; init; }
    [JsonPropertyName("labeled_images")] public int LabeledImages { get; init; }
    [JsonPropertyName("scratch")] public required ArmScore Scratch { get; init; }
    [JsonPropertyName("linear_probe")] public required ArmScore LinearProbe { get; init; }
    [JsonPropertyName("fine_tune")] public required ArmScore FineTune { get; init; }
    /// <summary>Two-class tasks: AUROC × 100 of each arm's class-1 log-odds on the test split (null otherwise).</summary>
    [JsonPropertyName("scratch_auroc")] public ArmScore? ScratchAuroc { get; init; }
    [JsonPropertyName("linear_probe_auroc")] public ArmScore? LinearProbeAuroc { get; init; }
    [JsonPropertyName("fine_tune_auroc")] public ArmScore? FineTuneAuroc { get; init; }
    /// <summary>Epoch whose weights were kept, per seed (early stopping), for fine-tuning and scratch.</summary>
    [JsonPropertyName("fine_tune_best_epochs")] public IReadOnlyList<int> FineTuneBestEpochs { get; init; } = [];
    [JsonPropertyName("scratch_best_epochs")] public IReadOnlyList<int> ScratchBestEpochs { get; init; } = [];
    /// <summary>Learning-rate multiplier chosen on validation, per seed (all 1 without <c>--lr-grid</c>).</summary>
    [JsonPropertyName("fine_tune_lr_multipliers")] public IReadOnlyList<double> FineTuneLrMultipliers { get; init; } = [];
    [JsonPropertyName("scratch_lr_multipliers")] public IReadOnlyList<double> ScratchLrMultipliers { get; init; } = [];
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>label_efficiency.json: accuracy against labels per class for scratch training, linear probe and fine-tuning.</summary>
public sealed record LabelEfficiencyResults
{
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("encoder")] public required string Encoder { get; init; }
    [JsonPropertyName("method")] public string? Method { get; init; }
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }
    [JsonPropertyName("seeds")] public required IReadOnlyList<int> Seeds { get; init; }
    [JsonPropertyName("test_images")] public int TestImages { get; init; }
    /// <summary>"given" when the dataset has its own test split, else the hold-out that made it ("held_out_20pct_seed_0").</summary>
    [JsonPropertyName("test_split")] public string? TestSplit { get; init; }
    /// <summary>Where a given test split that is not the dataset's own comes from (<c>--test-data</c>); null otherwise.</summary>
    [JsonPropertyName("test_split_source")] public string? TestSplitSource { get; init; }
    [JsonPropertyName("fine_tune")] public required FineTuneOptionsSummary FineTune { get; init; }
    [JsonPropertyName("scratch")] public required FineTuneOptionsSummary Scratch { get; init; }
    [JsonPropertyName("points")] public required IReadOnlyList<LabelEfficiencyPoint> Points { get; init; }

    /// <summary>Learning-rate multipliers searched on validation for scratch and fine-tuning ([1]: none).</summary>
    [JsonPropertyName("lr_grid")] public IReadOnlyList<double> LrGrid { get; init; } = [1.0];
    [JsonPropertyName("seconds")] public double Seconds { get; init; }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static LabelEfficiencyResults FromJson(string json) =>
        JsonSerializer.Deserialize<LabelEfficiencyResults>(json, Options) ?? throw new InvalidDataException("label efficiency results: empty JSON");

    /// <summary>A Markdown table: mean ± std per arm and the gains over scratch.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Label efficiency · {Method ?? "pretrained"} · {Encoder} · {Dataset} · test top-1 (%) on {TestImages} images, mean ± std over seeds {string.Join(", ", Seeds)}");
        sb.AppendLine();
        sb.AppendLine("| labels / class | labelled images | scratch | linear probe | fine-tune | probe − scratch | fine-tune − scratch |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var p in Points)
            sb.AppendLine(c, $"| {p.LabelsPerClass} | {p.LabeledImages} | {Format(p.Scratch)} | {Format(p.LinearProbe)} | {Format(p.FineTune)} | " +
                             $"{p.LinearProbe.Mean - p.Scratch.Mean:+0.00;-0.00} | {p.FineTune.Mean - p.Scratch.Mean:+0.00;-0.00} |");
        if (Points.All(p => p.ScratchAuroc is not null && p.LinearProbeAuroc is not null && p.FineTuneAuroc is not null))
        {
            sb.AppendLine();
            sb.AppendLine("Test AUROC (× 100, class-1 log-odds), mean ± std over seeds:");
            sb.AppendLine();
            sb.AppendLine("| labels / class | scratch | linear probe | fine-tune |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var p in Points)
                sb.AppendLine(c, $"| {p.LabelsPerClass} | {Format(p.ScratchAuroc!)} | {Format(p.LinearProbeAuroc!)} | {Format(p.FineTuneAuroc!)} |");
        }
        sb.AppendLine();
        sb.AppendLine(c, $"Fine-tune: {FineTune.Describe()}.");
        sb.AppendLine(c, $"Scratch: {Scratch.Describe()}.");
        if (LrGrid.Count > 1)
            sb.AppendLine(c, $"Learning rate × {{{string.Join(", ", LrGrid.Select(m => m.ToString("G", c)))}}} tried for scratch and fine-tuning alike; per subset the best on its validation images is scored.");
        return sb.ToString();

        string Format(ArmScore s) => string.Create(c, $"{s.Mean:F2} ± {s.Std:F2}");
    }

    /// <summary>Writes the file atomically.</summary>
    public static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>The recipe behind an arm, as recorded in the results.</summary>
public sealed record FineTuneOptionsSummary
{
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [JsonPropertyName("min_steps")] public int MinSteps { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("optimizer")] public required string Optimizer { get; init; }
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    [JsonPropertyName("backbone_lr_factor")] public double BackboneLrFactor { get; init; }
    [JsonPropertyName("layer_decay")] public double? LayerDecay { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("freeze_stages")] public int FrozenStages { get; init; }
    [JsonPropertyName("crop_min_scale")] public double CropMinScale { get; init; }
    [JsonPropertyName("horizontal_flip")] public bool HorizontalFlip { get; init; }
    [JsonPropertyName("validation_fraction")] public double ValidationFraction { get; init; }
    [JsonPropertyName("patience")] public int? Patience { get; init; }
    [JsonPropertyName("head_from_probe")] public bool HeadFromProbe { get; init; }

    public static FineTuneOptionsSummary Of(FineTuneOptions o) => new()
    {
        Epochs = o.Epochs,
        MinSteps = o.MinSteps,
        BatchSize = o.BatchSize,
        Optimizer = o.Optimizer.ToString().ToLowerInvariant(),
        LearningRate = o.LearningRate,
        BackboneLrFactor = o.BackboneLrFactor,
        LayerDecay = o.LayerDecay,
        WeightDecay = o.WeightDecay,
        FrozenStages = o.FrozenStages,
        CropMinScale = o.CropMinScale,
        HorizontalFlip = o.HorizontalFlip,
        ValidationFraction = o.ValidationFraction,
        Patience = o.Patience,
        HeadFromProbe = o.HeadFromProbe,
    };

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Optimizer}, lr {LearningRate} (backbone ×{BackboneLrFactor}{(LayerDecay is { } d ? $", layer decay {d}" : "")}), weight decay {WeightDecay}, " +
        $"{Epochs} epochs (≥ {MinSteps} steps), batch {BatchSize}, frozen stages {FrozenStages}, crop scale ({CropMinScale}, 1){(HorizontalFlip ? " + flip" : "")}, " +
        $"validation {ValidationFraction} per class, patience {(Patience is { } p ? p.ToString(CultureInfo.InvariantCulture) : "none")}{(HeadFromProbe ? ", head initialised by a linear probe (LP-FT)" : "")}");
}
