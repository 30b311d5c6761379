namespace SelfSup.Training;

/// <summary>Per-step schedules, precomputed as arrays (as in the official DINO/MAE code): easy to print, plot and test.</summary>
public static class Schedules
{
    /// <summary>
    /// Linear warm-up from 0 to <paramref name="baseValue"/> over <paramref name="warmupSteps"/>, then half-cosine
    /// down to <paramref name="finalValue"/> at the last step. Value at step t is the one used for update t.
    /// </summary>
    public static double[] WarmupCosine(double baseValue, long totalSteps, long warmupSteps, double finalValue = 0)
    {
        if (totalSteps <= 0) throw new ArgumentException($"total steps must be > 0, got {totalSteps}");
        warmupSteps = Math.Clamp(warmupSteps, 0, totalSteps);
        var values = new double[totalSteps];
        for (long t = 0; t < warmupSteps; t++)
            values[t] = baseValue * (t + 1) / warmupSteps;
        var decay = totalSteps - warmupSteps;
        for (long i = 0; i < decay; i++)
        {
            var progress = decay == 1 ? 0 : (double)i / (decay - 1);
            values[warmupSteps + i] = finalValue + 0.5 * (baseValue - finalValue) * (1 + Math.Cos(Math.PI * progress));
        }
        return values;
    }

    /// <summary>Half-cosine from <paramref name="start"/> at step 0 to <paramref name="end"/> at the last step (weight decay, EMA momentum).</summary>
    public static double[] Cosine(double start, double end, long totalSteps)
    {
        if (totalSteps <= 0) throw new ArgumentException($"total steps must be > 0, got {totalSteps}");
        var values = new double[totalSteps];
        for (long t = 0; t < totalSteps; t++)
        {
            var progress = totalSteps == 1 ? 0 : (double)t / (totalSteps - 1);
            values[t] = end + 0.5 * (start - end) * (1 + Math.Cos(Math.PI * progress));
        }
        return values;
    }
}
