using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// The parts DINO (Caron et al. 2021) and iBOT (Zhou et al. 2022) share beyond the loss (<see cref="DinoLoss"/>,
/// <see cref="TeacherCentre"/>) and the head: the teacher's encoder factory, the per-epoch teacher temperature, the
/// teacher's per-step EMA momentum and the multi-crop views.
/// </summary>
public static class SelfDistillation
{
    /// <summary>
    /// A short run warms the teacher temperature up for at most this share of its epochs: DINO's ViT-S recipe warms up
    /// for 30 of 100 epochs, so a 10-epoch run reaches the final temperature after 3 epochs instead of never.
    /// </summary>
    public const double MaxTeacherWarmupFraction = 0.3;

    /// <summary>
    /// Builds the teacher's encoder: a ViT of the student's options without stochastic depth (DINO's teacher has no
    /// drop-path), any other encoder from the run's factory.
    /// </summary>
    public static Func<Encoder> TeacherEncoderFactory(Encoder student, Func<Encoder> createEncoder) =>
        student is Vit vit ? () => new Vit(vit.Options with { DropPath = 0 }) : createEncoder;

    /// <summary>Epochs of the run <paramref name="context"/> belongs to (at least 1).</summary>
    public static int Epochs(StepContext context) =>
        (int)Math.Max(1, (context.TotalSteps + context.StepsPerEpoch - 1) / Math.Max(1, context.StepsPerEpoch));

    /// <summary>
    /// The teacher temperature of <paramref name="context"/>'s epoch: <see cref="DinoLoss.TeacherTemperatures"/> from
    /// <paramref name="start"/> to <paramref name="end"/> over <paramref name="warmupEpochs"/> epochs, the warm-up cut to
    /// <see cref="MaxTeacherWarmupFraction"/> of the run (rounded up).
    /// </summary>
    public static double TeacherTemperature(double start, double end, int warmupEpochs, StepContext context)
    {
        var epochs = Epochs(context);
        var warmup = Math.Min(warmupEpochs, (int)Math.Ceiling(MaxTeacherWarmupFraction * epochs));
        return DinoLoss.TeacherTemperatures(start, end, warmup, epochs)[Math.Clamp(context.Epoch, 0, epochs - 1)];
    }

    /// <summary>The teacher's EMA momentum at <paramref name="context"/>'s step: a half-cosine from start to end over the run (DINO's momentum_schedule).</summary>
    public static double Momentum(double start, double end, StepContext context) =>
        MomentumTeacher.CosineSchedule(start, end, context.TotalSteps)[Math.Clamp(context.Step, 0, context.TotalSteps - 1)];

    /// <summary>
    /// DINO's multi-crop views for a run (<see cref="MultiCrop"/>, DINO's augmentations) with the method's crop
    /// options: local crops are a whole number of ViT patches. <paramref name="globalScaleMin"/> null: 0.4 with local
    /// crops (the paper's) and 0.14 without (what main_dino.py recommends when multi-crop is off).
    /// </summary>
    public static MultiCrop Views(MethodContext ctx, int localCrops, double? globalScaleMin, double localScaleMin, double localScaleMax, int? localSize) =>
        new(ctx.ImageSize, ctx.Channels, ctx.Stats, MultiCropOptions.Dino with
        {
            LocalCrops = localCrops,
            GlobalScaleMin = globalScaleMin ?? (localCrops > 0 ? 0.4 : 0.14),
            LocalScaleMin = localScaleMin,
            LocalScaleMax = localScaleMax,
            LocalSize = localSize,
            LocalSizeMultiple = ctx.Encoder is Vit vit ? vit.PatchSize : 1,
        });

    /// <summary>
    /// Entropy (nats) of the batch's average teacher distribution over rows [..., K]: near 0 when every image puts its
    /// mass on the same dimensions (DINO's one-hot collapse), high when images spread over many.
    /// </summary>
    public static Tensor MeanEntropy(Tensor probs)
    {
        using var scope = NewDisposeScope();
        var mean = probs.reshape(-1, probs.shape[^1]).mean([0L]); // [K]
        return (-(mean * mean.clamp_min(1e-12).log())).sum().MoveToOuterDisposeScope();
    }

    /// <summary>Share of log K below which the batch's average teacher distribution counts as one-hot (every image on the same dimensions).</summary>
    public const double OneHotCollapseFraction = 0.1;

    /// <summary>Share of log K above which each image's teacher distribution counts as uniform.</summary>
    public const double UniformCollapseFraction = 0.99;

    /// <summary>
    /// DINO's two collapse modes (Caron et al. 2021 §5.3) from the logged teacher entropies over <paramref name="k"/>
    /// outputs: one-hot, when the batch's average distribution has under a tenth of log K (sharpening without centring);
    /// uniform, when each image's distribution has over 99 % of log K (centring without sharpening). Null otherwise.
    /// </summary>
    public static string? OutputCollapse(IReadOnlyDictionary<string, double> scalars, int k)
    {
        var logK = Math.Log(k);
        if (scalars.TryGetValue("teacher_mean_entropy", out var mean) && mean < OneHotCollapseFraction * logK)
            return $"collapse: the teacher puts every image on the same dimensions (entropy of its batch-average output {mean:F3} < {OneHotCollapseFraction} × log K = {OneHotCollapseFraction * logK:F3}); one-hot collapse, the mode centring prevents";
        if (scalars.TryGetValue("teacher_entropy", out var each) && each > UniformCollapseFraction * logK)
            return $"collapse: the teacher's output is uniform for every image (entropy {each:F3} > {UniformCollapseFraction} × log K = {UniformCollapseFraction * logK:F3}); uniform collapse, the mode sharpening prevents";
        return null;
    }

    /// <summary>Mean entropy (nats) of teacher target rows [..., K]: log K for a uniform teacher, 0 for a one-hot one (collapse signals, DINO §5.3).</summary>
    public static Tensor Entropy(Tensor probs)
    {
        using var scope = NewDisposeScope();
        return (-(probs * probs.clamp_min(1e-12).log())).sum(-1).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Checks the options both methods share, naming the method and the field.</summary>
    internal static void Validate(string method, double studentTemp, double warmupTeacherTemp, double teacherTemp, int warmupTeacherTempEpochs,
        double centerMomentum, double momentumStart, double momentumEnd, int freezeLastLayerEpochs, int localCrops)
    {
        if (!(studentTemp > 0)) throw new ArgumentException($"{method}: student_temp must be > 0, got {studentTemp}");
        if (!(warmupTeacherTemp > 0)) throw new ArgumentException($"{method}: warmup_teacher_temp must be > 0, got {warmupTeacherTemp}");
        if (!(teacherTemp > 0)) throw new ArgumentException($"{method}: teacher_temp must be > 0, got {teacherTemp}");
        if (warmupTeacherTempEpochs < 0) throw new ArgumentException($"{method}: warmup_teacher_temp_epochs must be ≥ 0, got {warmupTeacherTempEpochs}");
        if (!(centerMomentum >= 0 && centerMomentum <= 1)) throw new ArgumentException($"{method}: center_momentum must be in [0, 1], got {centerMomentum}");
        if (!(momentumStart >= 0 && momentumStart <= 1 && momentumEnd >= 0 && momentumEnd <= 1))
            throw new ArgumentException($"{method}: teacher momentum must be in [0, 1], got {momentumStart} → {momentumEnd}");
        if (freezeLastLayerEpochs < 0) throw new ArgumentException($"{method}: freeze_last_layer_epochs must be ≥ 0, got {freezeLastLayerEpochs}");
        if (localCrops < 0) throw new ArgumentException($"{method}: local_crops must be ≥ 0, got {localCrops}");
    }
}
