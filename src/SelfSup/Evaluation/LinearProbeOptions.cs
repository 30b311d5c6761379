namespace SelfSup.Evaluation;

/// <summary>How the linear probe's weights are fitted.</summary>
public enum ProbeOptimizer
{
    /// <summary>Full-batch L-BFGS on the convex, L2-regularised cross-entropy: converges in a few seconds, no schedule to tune.</summary>
    Lbfgs,
    /// <summary>Mini-batch AdamW with a cosine learning-rate decay, the usual recipe for very large feature sets.</summary>
    AdamW,
}

/// <summary>
/// Settings of <see cref="LinearProbe"/>. With the defaults, full-batch L-BFGS reaches a gradient of 1e-5 on
/// 50k × 128 standardised features in 15–80 iterations (a few seconds on 2 cores); test accuracy is flat after ~25.
/// </summary>
public sealed record LinearProbeOptions
{
    public ProbeOptimizer Optimizer { get; init; } = ProbeOptimizer.Lbfgs;

    /// <summary>AdamW: passes over the training features.</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>L-BFGS: at most this many iterations (each one full-batch gradient plus its line search).</summary>
    public int MaxIterations { get; init; } = 200;

    /// <summary>L-BFGS: stops when the largest gradient entry falls below this.</summary>
    public double GradientTolerance { get; init; } = 1e-5;

    /// <summary>L-BFGS: number of (s, y) pairs kept for the inverse-Hessian estimate.</summary>
    public int HistorySize { get; init; } = 20;

    /// <summary>AdamW: mini-batch size.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>AdamW: peak learning rate (cosine-decayed to 0 over the run).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW: decoupled weight decay on the weights. L-BFGS: λ of the penalty (λ/2)‖W‖². Biases are never decayed.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>AdamW: seeds the mini-batch order (weights start at zero, so L-BFGS is deterministic without it).</summary>
    public int Seed { get; init; }

    internal void Validate()
    {
        if (Epochs <= 0) throw new ArgumentException($"linear probe: Epochs must be positive, got {Epochs}");
        if (MaxIterations <= 0) throw new ArgumentException($"linear probe: MaxIterations must be positive, got {MaxIterations}");
        if (HistorySize <= 0) throw new ArgumentException($"linear probe: HistorySize must be positive, got {HistorySize}");
        if (BatchSize <= 0) throw new ArgumentException($"linear probe: BatchSize must be positive, got {BatchSize}");
        if (!(LearningRate > 0)) throw new ArgumentException($"linear probe: LearningRate must be > 0, got {LearningRate}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"linear probe: WeightDecay must be ≥ 0, got {WeightDecay}");
        if (!(GradientTolerance >= 0)) throw new ArgumentException($"linear probe: GradientTolerance must be ≥ 0, got {GradientTolerance}");
    }
}
