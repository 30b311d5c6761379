using System.Globalization;

namespace SelfSup.Runs;

/// <summary>
/// A step whose loss or total gradient norm is not finite (NaN or ±∞): the run stops instead of training on garbage,
/// as the official MAE and DINO loops do (<c>if not math.isfinite(loss): sys.exit(1)</c>), and last.ckpt keeps the
/// last good state. With <see cref="Training.RunConfig.SkipNonFinite"/> &gt; 0 the Trainer skips such steps instead,
/// and throws only when one more would exceed that count. Also thrown when a checkpoint would store non-finite weights.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>A message only (no step details).</summary>
    public NonFiniteLossException(string message) : base(message) { }

    /// <param name="what">What was not finite, e.g. "loss is NaN" or "gradient norm is +∞".</param>
    /// <param name="step">The 1-based step that produced it.</param>
    /// <param name="epoch">The 1-based epoch of that step.</param>
    /// <param name="learningRate">The step's learning rate.</param>
    /// <param name="scalars">The step's logged scalars (the loss parts the method reports), as they were when it stopped.</param>
    /// <param name="lastCheckpoint">The last good checkpoint, untouched by this step (null: none written yet).</param>
    /// <param name="lastCheckpointStep">The step that checkpoint holds.</param>
    /// <param name="skipped">Steps skipped as non-finite before this one (<see cref="Training.RunConfig.SkipNonFinite"/>).</param>
    /// <param name="skippable">Whether skipping the step would have helped (a loss or gradient; not weights that already diverged): the message then names skip_nonfinite.</param>
    public NonFiniteLossException(string what, long step, int epoch, double learningRate, IReadOnlyDictionary<string, double> scalars,
        string? lastCheckpoint, long lastCheckpointStep, long skipped, bool skippable = true)
        : base(Describe(what, step, epoch, learningRate, scalars, lastCheckpoint, lastCheckpointStep, skipped, skippable))
    {
        Step = step;
        LearningRate = learningRate;
        Scalars = scalars;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>The 1-based step that produced the non-finite value (0 when unknown).</summary>
    public long Step { get; }

    /// <summary>The step's learning rate (NaN when unknown).</summary>
    public double LearningRate { get; } = double.NaN;

    /// <summary>The step's logged scalars (loss parts, monitors) when it stopped.</summary>
    public IReadOnlyDictionary<string, double> Scalars { get; } = new Dictionary<string, double>();

    /// <summary>The last good checkpoint, which the failed step did not overwrite (null: none).</summary>
    public string? LastCheckpoint { get; }

    static string Describe(string what, long step, int epoch, double lr, IReadOnlyDictionary<string, double> scalars,
        string? lastCheckpoint, long lastCheckpointStep, long skipped, bool skippable)
    {
        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var parts = string.Join(", ", scalars.Select(kv => $"{kv.Key} {F(kv.Value)}"));
        var skip = skipped > 0 ? $"; {skipped} non-finite steps already skipped (skip_nonfinite)" : "";
        var last = lastCheckpoint is null ? "No checkpoint written yet" : $"Last good checkpoint {lastCheckpoint} (step {lastCheckpointStep}), untouched";
        var hint = skippable ? ". Set skip_nonfinite (--skip-nonfinite N) to skip up to N such steps instead" : ". Lower the learning rate or clip gradients (grad_clip)";
        return $"{what} at step {step} (epoch {epoch}); lr {F(lr)}{(parts.Length > 0 ? $", {parts}" : "")}{skip}; stopping. {last}{hint}";
    }
}
