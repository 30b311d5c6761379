using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Training;

namespace SelfSup.Methods;

/// <summary>How a method's base learning rate grows with the batch size B.</summary>
public enum LrScaling
{
    /// <summary>The base rate is the rate.</summary>
    None,
    /// <summary>base · B / <see cref="Recipe.ReferenceBatch"/> (Goyal et al. 2017; MAE, BYOL, MoCo v3).</summary>
    Linear,
    /// <summary>base · √B (SimCLR's square-root rule for small batches, appendix B.1).</summary>
    Sqrt,
}

/// <summary>
/// A method's training recipe as its paper (or official code) gives it: optimiser, learning rate with its
/// batch-scaling rule, weight decay and its schedule, warm-up, betas, momentum, gradient clipping. It is the lowest
/// layer of a run's settings: recipe &lt; run file &lt; flags the user typed.
/// </summary>
public sealed record Recipe
{
    /// <summary>Where the recipe comes from (paper section or official script).</summary>
    public required string Source { get; init; }
    public required OptimizerKind Optimizer { get; init; }
    /// <summary>Base learning rate; the peak rate after warm-up is this scaled by <see cref="Scaling"/>.</summary>
    public required double BaseLearningRate { get; init; }
    public LrScaling Scaling { get; init; } = LrScaling.None;
    /// <summary>The batch size at which the base rate applies under linear scaling (256 by convention).</summary>
    public int ReferenceBatch { get; init; } = 256;
    /// <summary>Weight decay (at the first step when <see cref="WeightDecayEnd"/> is set).</summary>
    public double WeightDecay { get; init; }
    /// <summary>Weight decay at the last step, reached on a cosine (DINO, I-JEPA); null: constant.</summary>
    public double? WeightDecayEnd { get; init; }
    /// <summary>The paper's warm-up in epochs; a run shorter than the paper's caps it at <see cref="MaxWarmupFraction"/> of its epochs.</summary>
    public double WarmupEpochs { get; init; }
    /// <summary>SGD/LARS momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary>Clip the global gradient norm to this value before each step (0: off).</summary>
    public double GradClip { get; init; }
    /// <summary>LARS's trust coefficient η (SwAV/BYOL code: 0.001; solo-learn's CIFAR recipes: 0.02 with clipping).</summary>
    public double LarsEta { get; init; } = TrainingOptimizer.DefaultLarsEta;
    /// <summary>LARS with clipping: each tensor's rate is min(η‖w‖/‖g‖, lr) (solo-learn's clip_lr).</summary>
    public bool LarsClip { get; init; }
    /// <summary>Method options the recipe sets (MoCo v3's τ 1.0 for ResNets); a run file and --set override them key by key.</summary>
    public IReadOnlyDictionary<string, string>? MethodOptions { get; init; }

    /// <summary>
    /// Short runs keep the warm-up to at most this share of their epochs: the papers warm up for 2.5–10 % of
    /// hundreds of epochs, and a two-epoch run spent entirely in warm-up would never reach its peak rate.
    /// </summary>
    public const double MaxWarmupFraction = 0.1;

    /// <summary>The peak learning rate for a batch of <paramref name="batchSize"/>.</summary>
    public double LearningRate(int batchSize) => Scaling switch
    {
        LrScaling.Linear => BaseLearningRate * batchSize / ReferenceBatch,
        LrScaling.Sqrt => BaseLearningRate * Math.Sqrt(batchSize),
        _ => BaseLearningRate,
    };

    /// <summary>Warm-up epochs for a run of <paramref name="epochs"/>: the paper's, at most <see cref="MaxWarmupFraction"/> of the run.</summary>
    public double WarmupFor(int epochs) => Math.Min(WarmupEpochs, MaxWarmupFraction * epochs);

    /// <summary>The recipe's run settings with <see cref="RunConfig"/>'s keys (the batch-dependent ones are resolved later).</summary>
    public JsonObject ToSettings()
    {
        var settings = Settings();
        if (MethodOptions is { Count: > 0 } options)
            settings["method_options"] = new JsonObject(options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        return settings;
    }

    JsonObject Settings() => new()
    {
        ["optimizer"] = JsonSerializer.SerializeToNode(Optimizer, RunConfig.Json),
        ["weight_decay"] = WeightDecay,
        ["weight_decay_end"] = WeightDecayEnd,
        ["momentum"] = Momentum,
        ["adam_beta1"] = AdamBeta1,
        ["adam_beta2"] = AdamBeta2,
        ["grad_clip"] = GradClip,
        ["lars_eta"] = LarsEta,
        ["lars_clip"] = LarsClip,
    };

    /// <summary>One line per setting, for `selfsup methods NAME`.</summary>
    public IEnumerable<(string Key, string Value)> Describe()
    {
        var lr = Scaling switch
        {
            LrScaling.Linear => $"{BaseLearningRate:G4} × B/{ReferenceBatch}",
            LrScaling.Sqrt => $"{BaseLearningRate:G4} × √B",
            _ => $"{BaseLearningRate:G4}",
        };
        yield return ("optimizer", Optimizer.ToString().ToLowerInvariant());
        yield return ("learning rate", lr + " (peak, after warm-up; cosine decay to 0)");
        yield return ("weight decay", WeightDecayEnd is { } end ? $"{WeightDecay:G4} → {end:G4} (cosine)" : $"{WeightDecay:G4}");
        yield return ("warm-up", $"{WarmupEpochs:G4} epochs (at most {MaxWarmupFraction:P0} of a run)");
        if (Optimizer == OptimizerKind.AdamW) yield return ("betas", $"({AdamBeta1:G4}, {AdamBeta2:G4})");
        else yield return ("momentum", $"{Momentum:G4}");
        if (Optimizer == OptimizerKind.Lars) yield return ("LARS trust η", $"{LarsEta:G4}" + (LarsClip ? ", rate clipped at lr" : ""));
        if (GradClip > 0) yield return ("gradient clipping", $"global norm {GradClip:G4}");
        if (MethodOptions is { Count: > 0 } options) yield return ("method options", string.Join(", ", options.Select(kv => $"{kv.Key} = {kv.Value}")));
        yield return ("source", Source);
    }
}
