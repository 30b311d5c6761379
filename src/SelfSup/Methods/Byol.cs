using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>BYOL hyperparameters (Grill et al. 2020, "Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning").</summary>
public sealed record ByolOptions
{
    /// <summary>Hidden width of the projector; 0: twice the encoder's width (paper: 4096 on ResNet-50's 2048).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Output width of the projector and of the predictor, where the loss is computed (paper: 256).</summary>
    public int ProjectionDim { get; init; } = 256;
    /// <summary>Hidden width of the predictor q; 0: as the projector's (paper: 4096, the same shape as the projector).</summary>
    public int PredictorHiddenDim { get; init; }
    /// <summary>
    /// Target EMA momentum τ at the first step (paper: 0.996 for 1000 epochs; the official configs use 0.99 for
    /// 100–300 epochs and 0.97 for 40).
    /// </summary>
    public double MomentumStart { get; init; } = 0.996;
    /// <summary>τ at the last step, reached on a cosine (paper: 1).</summary>
    public double MomentumEnd { get; init; } = 1.0;
    /// <summary>Blur probability of the first view (paper: 1.0).</summary>
    public double BlurP1 { get; init; } = 1.0;
    /// <summary>Blur probability of the second view (paper: 0.1).</summary>
    public double BlurP2 { get; init; } = 0.1;
    /// <summary>Solarize probability of the first view (paper: 0).</summary>
    public double SolarizeP1 { get; init; }
    /// <summary>Solarize probability of the second view (paper: 0.2).</summary>
    public double SolarizeP2 { get; init; } = 0.2;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (paper: 0.08).</summary>
    public double CropMinScale { get; init; } = 0.08;
}

/// <summary>
/// BYOL: an online network (encoder → projector → predictor q) predicts, from one view, the target network's
/// projection z′ of the other view; the target (encoder + projector) is an EMA of the online one
/// (<see cref="MomentumTeacher{TModule}"/>), its momentum τ rising from 0.996 to 1 on a cosine over the run, and it
/// gets no gradient. Loss: 2 − 2·cos(q, sg(z′)) for both view orders, summed (<see cref="NegativeCosineLoss.Byol"/>).
/// The two views are asymmetric (blur 1.0 / 0.1, solarize 0 / 0.2). Each view goes through the networks on its own,
/// so BatchNorm normalises each view with its own batch statistics, as in the official code. The target network
/// runs in training mode (batch statistics) and keeps its own running statistics, as deepmind-research/byol does.
/// The projector and predictor are Linear → BN → ReLU → Linear; the official MLP also has a bias before its BN
/// (cancelled by the BN) and none on its output Linear, these heads the other way round.
/// </summary>
public sealed class Byol : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly MlpHead predictor;
    readonly MomentumTeacher<Encoder> target_encoder;
    readonly MomentumTeacher<MlpHead> target_projector;
    double[]? momentumSchedule;

    /// <param name="encoder">The online encoder (the representation).</param>
    /// <param name="createEncoder">Builds another encoder of the same architecture, for the target network.</param>
    /// <param name="options">The method's hyperparameters.</param>
    public Byol(Encoder encoder, Func<Encoder> createEncoder, ByolOptions options) : base(nameof(Byol), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : 2 * encoder.EmbeddingDim;
        var predictorHidden = options.PredictorHiddenDim > 0 ? options.PredictorHiddenDim : hidden;
        projector = MlpHead.Byol(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        predictor = MlpHead.Byol(options.ProjectionDim, predictorHidden, options.ProjectionDim);
        target_encoder = MomentumTeacher.Create(encoder, createEncoder, TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        target_projector = MomentumTeacher.Create(projector, () => MlpHead.Byol(encoder.EmbeddingDim, hidden, options.ProjectionDim),
            TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        RegisterComponents();
    }

    public ByolOptions Options { get; }

    public MlpHead Projector => projector;

    public MlpHead Predictor => predictor;

    /// <summary>The target network's encoder (EMA of <see cref="SslMethod.Encoder"/>).</summary>
    public Encoder TargetEncoder => target_encoder.Module;

    /// <summary>The target network's projector (EMA of <see cref="Projector"/>).</summary>
    public MlpHead TargetProjector => target_projector.Module;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "byol", "non-contrastive",
        "Grill et al. 2020, Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning (arXiv:2006.07733)",
        "online encoder + projector + predictor regresses an EMA target's projection of the other view (asymmetric views), no negatives",
        new Recipe
        {
            Source = "Grill et al. 2020 §3.3 and deepmind-research byol/configs/byol.py (1000 epochs): LARS (η 1e-3, momentum 0.9; biases and BN excluded from adaptation and decay), lr 0.2 × B/256, weight decay 1.5e-6, 10 warm-up epochs, cosine",
            Optimizer = OptimizerKind.Lars,
            BaseLearningRate = 0.2,
            Scaling = LrScaling.Linear,
            WeightDecay = 1.5e-6,
            WarmupEpochs = 10,
        },
        new ByolOptions(),
        (ctx, o) => new Byol(ctx.Encoder, ctx.CreateEncoder, o),
        (ctx, o) => new TwoViews(
            ViewPipeline.Byol(ctx.ImageSize, ctx.Channels, ctx.Stats, o.BlurP1, o.SolarizeP1, o.CropMinScale),
            ViewPipeline.Byol(ctx.ImageSize, ctx.Channels, ctx.Stats, o.BlurP2, o.SolarizeP2, o.CropMinScale)));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"BYOL expects 2 views, got {batch.Views.Length}");
        var (v1, v2) = (batch.Views[0], batch.Views[1]);
        var y1 = encoder.forward(v1);                                   // [B, D]
        var y2 = encoder.forward(v2);                                   // [B, D]
        var q1 = predictor.forward(projector.forward(y1));              // [B, P]
        var q2 = predictor.forward(projector.forward(y2));              // [B, P]
        var (z1, z2) = TargetProjections(v1, v2);                       // [B, P] each, no gradient
        var loss = NegativeCosineLoss.Byol(q1, q2, z1, z2);
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(cat([y1, y2], 0).detach()),
            ["ema_momentum"] = tensor((float)Momentum(context.Step, context.TotalSteps)),
        });
    }

    /// <summary>The target network's projections z′ of both views, computed without gradient (BYOL's stop-gradient).</summary>
    public (Tensor Z1, Tensor Z2) TargetProjections(Tensor v1, Tensor v2)
    {
        using var noGrad = no_grad();
        var z1 = target_projector.Module.forward(target_encoder.Module.forward(v1)); // [B, P]
        var z2 = target_projector.Module.forward(target_encoder.Module.forward(v2)); // [B, P]
        return (z1, z2);
    }

    /// <summary>τ at 0-based <paramref name="step"/>: a half-cosine from the start to the end momentum over <paramref name="totalSteps"/> (<see cref="MomentumTeacher.CosineSchedule"/>).</summary>
    public double Momentum(long step, long totalSteps)
    {
        var total = Math.Max(1, totalSteps);
        if (momentumSchedule?.Length != total)
            momentumSchedule = MomentumTeacher.CosineSchedule(Options.MomentumStart, Options.MomentumEnd, total);
        return momentumSchedule[Math.Clamp(step, 0, total - 1)];
    }

    /// <summary>Target ← τ · target + (1 − τ) · online, for the encoder and the projector.</summary>
    public override void AfterOptimizerStep(StepContext context)
    {
        var tau = Momentum(context.Step, context.TotalSteps);
        target_encoder.Update(encoder, tau);
        target_projector.Update(projector, tau);
    }

    static void Validate(ByolOptions o)
    {
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"byol: projection_hidden_dim must be ≥ 0 (0: twice the encoder's width), got {o.ProjectionHiddenDim}");
        if (o.PredictorHiddenDim < 0) throw new ArgumentException($"byol: predictor_hidden_dim must be ≥ 0 (0: the projector's), got {o.PredictorHiddenDim}");
        if (o.ProjectionDim < 1) throw new ArgumentException($"byol: projection_dim must be ≥ 1, got {o.ProjectionDim}");
        if (!(o.MomentumStart >= 0 && o.MomentumStart <= 1 && o.MomentumEnd >= 0 && o.MomentumEnd <= 1))
            throw new ArgumentException($"byol: momentum_start and momentum_end must be in [0, 1], got {o.MomentumStart} → {o.MomentumEnd}");
        foreach (var (name, p) in new[] { ("blur_p1", o.BlurP1), ("blur_p2", o.BlurP2), ("solarize_p1", o.SolarizeP1), ("solarize_p2", o.SolarizeP2) })
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"byol: {name} must be in [0, 1], got {p}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"byol: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
