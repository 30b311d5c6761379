using System.Text.Json.Serialization;

namespace SelfSup.Leaderboard;

/// <summary>
/// A method's measured training speed on this machine: seconds per optimizer step (the median of timed steps after
/// warm-up) and the fixed cost each epoch adds beyond its steps (set-up, the first step's warm-up, a method's
/// once-per-epoch work such as DeepCluster's k-means over the dataset). Measured by a short calibration run.
/// </summary>
public sealed record StepRate(
    [property: JsonPropertyName("seconds_per_step")] double SecondsPerStep,
    [property: JsonPropertyName("epoch_overhead_s")] double EpochOverheadSeconds)
{
    /// <summary>Seconds <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps are expected to take.</summary>
    public double Seconds(int epochs, long stepsPerEpoch) => epochs * (EpochOverheadSeconds + stepsPerEpoch * SecondsPerStep);

    /// <summary>
    /// The rate from a calibration run's step-end times: <paramref name="stepEnds"/>[i] is the wall time (seconds since
    /// training began) at which step i + 1 ended. The first <paramref name="warmupSteps"/> steps are not timed; their
    /// time beyond the median step, less <paramref name="oneTimeSeconds"/> spent in them on work a process does once
    /// (<see cref="ConvolutionGuard.CheckSeconds"/>), is the epoch's overhead.
    /// </summary>
    public static StepRate FromStepEnds(IReadOnlyList<double> stepEnds, int warmupSteps, double oneTimeSeconds = 0)
    {
        if (!(oneTimeSeconds >= 0)) throw new ArgumentException($"calibration: one-time seconds must be ≥ 0, got {oneTimeSeconds}");
        if (warmupSteps < 1) throw new ArgumentException($"calibration: warm-up steps must be ≥ 1, got {warmupSteps}");
        if (stepEnds.Count < warmupSteps + 1)
            throw new ArgumentException($"calibration: expected at least {warmupSteps + 1} step times, got {stepEnds.Count}");
        var intervals = new List<double>();
        for (var i = warmupSteps; i < stepEnds.Count; i++) intervals.Add(stepEnds[i] - stepEnds[i - 1]);
        intervals.Sort();
        var n = intervals.Count;
        var median = n % 2 == 1 ? intervals[n / 2] : (intervals[n / 2 - 1] + intervals[n / 2]) / 2;
        if (!(median > 0)) throw new ArgumentException($"calibration: step times must increase, got a median step of {median} s");
        var overhead = Math.Max(0, stepEnds[warmupSteps - 1] - oneTimeSeconds - warmupSteps * median);
        return new StepRate(Math.Round(median, 6), Math.Round(overhead, 6));
    }
}

/// <summary>
/// How a method's run fills its wall-time budget with a complete learning-rate schedule: the Trainer spans its warm-up
/// and cosine over <see cref="Epochs"/> × <see cref="StepsPerEpoch"/> steps, and <see cref="TotalSteps"/> (the run's
/// max_steps) equals that product, so no schedule is cut in the middle. Whole epochs over the training split are used
/// when they fill the budget; when they would leave much of it unused (or not even one fits), the run makes one epoch
/// more, each over the same seeded subset of <see cref="DataLimit"/> images, sized to fill the budget.
/// </summary>
public sealed record BudgetPlan
{
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [JsonPropertyName("steps_per_epoch")] public long StepsPerEpoch { get; init; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; init; }
    /// <summary>Training images per epoch when a seeded subset is used (null: the whole training split).</summary>
    [JsonPropertyName("data_limit")] public int? DataLimit { get; init; }
    [JsonPropertyName("budget_s")] public double BudgetSeconds { get; init; }
    /// <summary>Expected seconds of the planned run at the measured rate.</summary>
    [JsonPropertyName("planned_s")] public double PlannedSeconds { get; init; }
    /// <summary>"epochs" (whole epochs over all training images), "subset" (epochs over a seeded subset) or "closed-form".</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
}

/// <summary>Turns a measured <see cref="StepRate"/> and a wall-time budget into a <see cref="BudgetPlan"/>.</summary>
public static class BudgetPlanner
{
    /// <param name="rate">The method's measured speed.</param>
    /// <param name="budgetSeconds">Wall time the run may take.</param>
    /// <param name="trainImages">Images in the training split (after any limit the protocol sets).</param>
    /// <param name="batchSize">Images per step; the loader drops the last partial batch, so an epoch is ⌊N / B⌋ steps.</param>
    /// <param name="safety">Share of the budget planned for (the rest absorbs timing noise), in (0, 1].</param>
    /// <param name="maxEpochs">Upper bound on epochs (null: none).</param>
    public static BudgetPlan Plan(StepRate rate, double budgetSeconds, int trainImages, int batchSize, double safety = 0.9, int? maxEpochs = null)
    {
        if (!(budgetSeconds > 0)) throw new ArgumentException($"budget: expected positive seconds, got {budgetSeconds}");
        if (batchSize <= 0) throw new ArgumentException($"batch_size: expected a positive number, got {batchSize}");
        if (trainImages < batchSize) throw new ArgumentException($"budget: {trainImages} training images do not make one batch of {batchSize}");
        if (!(safety > 0 && safety <= 1)) throw new ArgumentException($"safety: expected a share in (0, 1], got {safety}");
        if (!(rate.SecondsPerStep > 0) || rate.EpochOverheadSeconds < 0)
            throw new ArgumentException($"rate: expected positive seconds per step and a non-negative overhead, got {rate}");
        if (maxEpochs is <= 0) throw new ArgumentException($"max_epochs: expected a positive number, got {maxEpochs}");

        var usable = budgetSeconds * safety;
        long fullEpoch = trainImages / batchSize;
        var whole = (int)Math.Min(int.MaxValue, Math.Floor(usable / rate.Seconds(1, fullEpoch)));
        if (maxEpochs is { } cap) whole = Math.Min(whole, cap);
        var wholePlan = whole >= 1 ? Make(whole, fullEpoch) : null;
        if (maxEpochs is { } most && whole >= most) return wholePlan!;
        // One epoch more over a seeded subset, each epoch as long as fits: it uses the time whole epochs leave over.
        var epochs = whole + 1;
        var steps = Math.Clamp((long)Math.Floor((usable / epochs - rate.EpochOverheadSeconds) / rate.SecondsPerStep), 1, fullEpoch);
        var subsetPlan = Make(epochs, steps);
        return wholePlan is not null && subsetPlan.TotalSteps < wholePlan.TotalSteps * (1 + MinGainForSubset) ? wholePlan : subsetPlan;

        BudgetPlan Make(int e, long perEpoch) => new()
        {
            Kind = perEpoch == fullEpoch ? "epochs" : "subset",
            Epochs = e,
            StepsPerEpoch = perEpoch,
            TotalSteps = e * perEpoch,
            DataLimit = perEpoch == fullEpoch ? null : (int)(perEpoch * batchSize),
            BudgetSeconds = budgetSeconds,
            PlannedSeconds = Math.Round(rate.Seconds(e, perEpoch), 1),
        };
    }

    /// <summary>
    /// Epochs over a subset replace whole epochs over all training images only when they give at least this share more
    /// steps: whole epochs can leave up to half the budget unused (1.9 epochs' time fits one), a subset fills it.
    /// </summary>
    public const double MinGainForSubset = 0.05;

    /// <summary>The plan of a method fitted in closed form (PCA): no steps, no budget to fill.</summary>
    public static BudgetPlan ClosedForm(double budgetSeconds) => new() { Kind = "closed-form", BudgetSeconds = budgetSeconds };
}
