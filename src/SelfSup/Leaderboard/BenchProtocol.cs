using SelfSup.Methods;

namespace SelfSup.Leaderboard;

/// <summary>The encoder (and any method options sized to it) one method trains with under a <see cref="BenchProtocol"/>.</summary>
public sealed record MethodSetup(string Encoder, int Width, IReadOnlyDictionary<string, string> MethodOptions)
{
    /// <summary>"resnet18 w16", "vit-tiny/p4/d4 w128".</summary>
    public string Describe() => Width > 0 ? $"{Encoder} w{Width}" : Encoder;
}

/// <summary>
/// One protocol for every method on one dataset (`selfsup bench methods`): the same encoder family where the method
/// allows it, the same wall-time budget, batch size, seed and evaluation, each method with its own recipe
/// (<see cref="MethodInfo.Recipe"/>) and views.
/// </summary>
public sealed record BenchProtocol
{
    /// <summary>Built-in dataset name or path.</summary>
    public required string Data { get; init; }
    /// <summary>Wall time of each method's pretraining, in seconds.</summary>
    public required double BudgetSeconds { get; init; }
    public int BatchSize { get; init; } = 256;
    /// <summary>The encoder of every method that trains a CNN (all but <see cref="VitMethods"/>).</summary>
    public string CnnEncoder { get; init; } = "resnet18";
    public int CnnWidth { get; init; } = 16;
    /// <summary>The smallest ViT the method docs train (4 blocks of width 128, patch 4), for methods that need a ViT.</summary>
    public string VitEncoder { get; init; } = "vit-tiny/p4/d4";
    public int VitWidth { get; init; } = 128;

    /// <summary>Methods whose encoder must be a ViT (they mask or distil patch tokens).</summary>
    public static readonly IReadOnlyList<string> VitMethods = ["mae", "beit", "ijepa", "ibot"];

    /// <summary>
    /// Method options sized to the small ViT, as docs/methods.md ran them: MAE's decoder and I-JEPA's predictor at
    /// width 128/64 and depth 2 rather than the paper's 512 × 8 and 384 × 12 beside a ViT-Base.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> VitOptions =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["mae"] = new Dictionary<string, string> { ["decoder_dim"] = "128", ["decoder_depth"] = "2", ["decoder_heads"] = "4" },
            ["ijepa"] = new Dictionary<string, string> { ["predictor_dim"] = "64", ["predictor_depth"] = "2", ["predictor_heads"] = "4" },
        };

    /// <summary>Pretrain on a seeded subset of at most this many training images (null: the whole split).</summary>
    public int? DataLimit { get; init; }
    public long Seed { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>libtorch threads (0: core count).</summary>
    public int Threads { get; init; }
    /// <summary>Steps timed by the calibration run, after <see cref="CalibrationWarmup"/> untimed ones.</summary>
    public int CalibrationSteps { get; init; } = 5;
    public int CalibrationWarmup { get; init; } = 2;
    /// <summary>Share of the budget planned for; the rest absorbs timing noise.</summary>
    public double Safety { get; init; } = 0.9;
    /// <summary>Fine-tuning seeds at <see cref="FineTuneLabelsPerClass"/> labels per class (0: no fine-tuning).</summary>
    public int FineTuneSeeds { get; init; } = 1;
    public int FineTuneLabelsPerClass { get; init; } = 10;
    /// <summary>Evaluate on seeded subsets of this many train / test images (null: the whole splits).</summary>
    public int? EvalTrainLimit { get; init; }
    public int? EvalTestLimit { get; init; }
    /// <summary>
    /// Method options set on the command line (`--set key=value`), over the protocol's own: one recipe change at a time
    /// for an investigation of one method; the result file records them under method_options.
    /// </summary>
    public IReadOnlyDictionary<string, string> OptionOverrides { get; init; } = new Dictionary<string, string>();

    /// <summary>The default budget per dataset on the 2-core CPU machine: CIFAR-10 10 min, PneumoniaMNIST 3 min; null otherwise.</summary>
    public static double? DefaultMinutes(string data) => data.ToLowerInvariant() switch
    {
        "cifar10" => 10,
        "pneumoniamnist" => 3,
        _ => null,
    };

    /// <summary>The encoder the method trains here: the small ViT for <see cref="VitMethods"/> (BEiT's mean-pools its patch tokens, as in its docs), the CNN otherwise.</summary>
    public MethodSetup SetupFor(MethodInfo method)
    {
        var vit = VitMethods.Contains(method.Name, StringComparer.OrdinalIgnoreCase);
        var options = new Dictionary<string, string>(vit && VitOptions.TryGetValue(method.Name, out var o) ? o : new Dictionary<string, string>());
        foreach (var (key, value) in OptionOverrides) options[key] = value;
        if (!vit) return new MethodSetup(CnnEncoder, CnnWidth, options);
        var encoder = method.Name.Equals("beit", StringComparison.OrdinalIgnoreCase) ? VitEncoder + "/mean" : VitEncoder;
        return new MethodSetup(encoder, VitWidth, options);
    }

    /// <summary>Why a method is not trained under this protocol (text methods), or null when it is.</summary>
    public static string? SkipReason(MethodInfo method) =>
        method.IsText ? "text method: it trains on a text corpus with a tokenizer, not on images, so no image leaderboard row" : null;

    /// <summary>A note the table shows next to a method whose training sees more than images.</summary>
    public static string? Note(MethodInfo method) => method.Name.ToLowerInvariant() switch
    {
        "clip" => "pretrains on captions made from the class labels",
        "pca" => "closed form: fitted in one pass, no budget used",
        _ => null,
    };
}
