namespace SelfSup.Training;

/// <summary>
/// Per-step schedules, precomputed as arrays (as in the official DINO/MAE code): easy to print, plot and test.
/// Element t is the value used for update t (0-based); the first element is the start value and, when there is
/// more than one step, the last element is exactly the end value.
/// </summary>
public static class Schedules
{
    /// <summary>
    /// Linear warm-up from 0 to <paramref name="baseValue"/> over <paramref name="warmupSteps"/>, then half-cosine
    /// down to <paramref name="finalValue"/> at the last step. Value at step t is the one used for update t.
    /// </summary>
    public static double[] WarmupCosine(double baseValue, long totalSteps, long warmupSteps, double finalValue = 0)
    {
        CheckTotal(totalSteps);
        warmupSteps = Math.Clamp(warmupSteps, 0, totalSteps);
        var values = new double[totalSteps];
        for (long t = 0; t < warmupSteps; t++)
            values[t] = baseValue * (t + 1) / warmupSteps;
        if (warmupSteps < totalSteps)
            Cosine(baseValue, finalValue, totalSteps - warmupSteps).CopyTo(values, warmupSteps);
        return values;
    }

    /// <summary>
    /// Half-cosine from <paramref name="start"/> at step 0 to <paramref name="end"/> at step T − 1, without warm-up:
    /// v_t = end + ½ (start − end) (1 + cos(π t / (T − 1))), computed so that both ends are exact. Rising or
    /// falling: DINO and I-JEPA raise weight decay 0.04 → 0.4 with it, BYOL and DINO the teacher's EMA momentum
    /// 0.996 → 1 (BYOL's τ = 1 − (1 − τ_base)(cos(πk/K) + 1)/2). The official DINO scheduler divides by T instead
    /// of T − 1, so its last value stops just short of the end; here the end is reached. One step gives [start].
    /// </summary>
    public static double[] Cosine(double start, double end, long totalSteps)
    {
        CheckTotal(totalSteps);
        var values = new double[totalSteps];
        for (long t = 0; t < totalSteps; t++)
            values[t] = Mix(start, end, 0.5 * (1 - Math.Cos(Math.PI * Progress(t, totalSteps))));
        return values;
    }

    /// <summary>
    /// Straight line from <paramref name="start"/> at step 0 to <paramref name="end"/> at step T − 1:
    /// v_t = start + (end − start) t / (T − 1). I-JEPA's reference raises the EMA momentum this way. One step gives [start].
    /// </summary>
    public static double[] Linear(double start, double end, long totalSteps)
    {
        CheckTotal(totalSteps);
        var values = new double[totalSteps];
        for (long t = 0; t < totalSteps; t++)
            values[t] = Mix(start, end, Progress(t, totalSteps));
        return values;
    }

    /// <summary>(1 − w)·start + w·end: exactly start at w = 0 and exactly end at w = 1.</summary>
    static double Mix(double start, double end, double w) => (1 - w) * start + w * end;

    /// <summary>t / (T − 1) in [0, 1]; 0 for a single step.</summary>
    static double Progress(long t, long totalSteps) => totalSteps == 1 ? 0 : (double)t / (totalSteps - 1);

    static void CheckTotal(long totalSteps)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"schedule: total steps must be > 0, got {totalSteps}");
    }
}
