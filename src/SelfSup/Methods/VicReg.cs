using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// VICReg hyperparameters (Bardes et al. 2022, "VICReg: Variance-Invariance-Covariance Regularization for
/// Self-Supervised Learning"; facebookresearch/vicreg main_vicreg.py). The expander's width is sized for a CPU; the
/// paper's is given.
/// </summary>
public sealed record VicRegOptions
{
    /// <summary>Output width of the expander, where the loss is computed; 0: four times the encoder's width (paper: 8192 on ResNet-50's 2048).</summary>
    public int ProjectionDim { get; init; }
    /// <summary>Hidden width of the expander; 0: the output width (paper: 8192).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Linear layers of the expander (paper: 3).</summary>
    public int ProjectionLayers { get; init; } = 3;
    /// <summary>λ, the weight of the invariance (mean squared error) term (paper: 25).</summary>
    public double InvarianceWeight { get; init; } = VicRegLoss.DefaultInvarianceWeight;
    /// <summary>μ, the weight of the variance term (paper: 25).</summary>
    public double VarianceWeight { get; init; } = VicRegLoss.DefaultVarianceWeight;
    /// <summary>ν, the weight of the covariance term (paper: 1).</summary>
    public double CovarianceWeight { get; init; } = VicRegLoss.DefaultCovarianceWeight;
    /// <summary>γ, the standard deviation the variance hinge asks of every dimension (paper: 1).</summary>
    public double Gamma { get; init; } = VicRegLoss.DefaultGamma;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (paper: 0.08).</summary>
    public double CropMinScale { get; init; } = 0.08;
    /// <summary>Start each ResNet residual branch's last BN at γ = 0 (official code: <c>zero_init_residual=True</c>); ignored for other encoders.</summary>
    public bool ZeroInitResidual { get; init; } = true;
}

/// <summary>
/// VICReg: one encoder and expander embed both views, z₁ and z₂ [B, P]; the loss (<see cref="VicRegLoss"/>) is
/// 25 · invariance (mean squared error between the views) + 25 · variance (a hinge keeping each dimension's standard
/// deviation at ≥ 1 within each branch) + 1 · covariance (squared off-diagonal covariances of each branch, ÷ P).
/// No negatives, predictor, momentum encoder or stop-gradient. The expander is Linear → BN → ReLU twice, then a Linear
/// without bias (<see cref="MlpHead.BarlowTwins"/>, the shape the official code shares with Barlow Twins). Views are
/// BYOL's asymmetric pair (blur 1.0 / 0.1, solarize 0 / 0.2), as the official code. Each view passes through the
/// networks on its own. The three terms are logged, unweighted, as <c>invariance</c>, <c>variance</c> and
/// <c>covariance</c>.
/// </summary>
public sealed class VicReg : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;

    public VicReg(Encoder encoder, VicRegOptions options) : base(nameof(VicReg), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        if (options.ZeroInitResidual && encoder is ResNet resnet) resnet.ZeroInitResidualBranches();
        projector = MlpHead.BarlowTwinsFor(encoder.EmbeddingDim, options.ProjectionDim, options.ProjectionHiddenDim, options.ProjectionLayers);
        RegisterComponents();
    }

    public VicRegOptions Options { get; }

    /// <summary>The expander (the paper's name for the projector).</summary>
    public MlpHead Projector => projector;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "vicreg", "non-contrastive",
        "Bardes et al. 2022, VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning (arXiv:2105.04906)",
        "shared encoder + expander; invariance (MSE) between views, a variance hinge and a covariance penalty within each view",
        new Recipe
        {
            Source = "Bardes et al. 2022 §4.2 and facebookresearch/vicreg main_vicreg.py: LARS (η 1e-3, momentum 0.9; biases and BN excluded from adaptation and decay), lr 0.2 × B/256 (--base-lr 0.2), weight decay 1e-6, 10 warm-up epochs, cosine, batch 2048",
            Optimizer = OptimizerKind.Lars,
            BaseLearningRate = 0.2,
            Scaling = LrScaling.Linear,
            WeightDecay = 1e-6,
            WarmupEpochs = 10,
        },
        new VicRegOptions(),
        (ctx, o) => new VicReg(ctx.Encoder, o),
        (ctx, o) => TwoViews.Byol(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"VICReg expects 2 views, got {batch.Views.Length}");
        var h1 = encoder.forward(batch.Views[0]);                      // [B, D]
        var h2 = encoder.forward(batch.Views[1]);                      // [B, D]
        var z1 = projector.forward(h1);                                // [B, P]
        var z2 = projector.forward(h2);                                // [B, P]
        var o = Options;
        // Data-parallel: every rank computes the loss of the global batch (variance and covariance span all rows).
        var world = context.Collectives;
        var terms = VicRegLoss.Compute(world.AllGather(z1), world.AllGather(z2), o.InvarianceWeight, o.VarianceWeight, o.CovarianceWeight, o.Gamma);
        return new StepResult(terms.Loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(cat([h1, h2], 0).detach()),
            ["invariance"] = terms.Invariance.detach(),
            ["variance"] = terms.Variance.detach(),
            ["covariance"] = terms.Covariance.detach(),
        });
    }

    static void Validate(VicRegOptions o)
    {
        if (o.ProjectionDim < 0) throw new ArgumentException($"vicreg: projection_dim must be ≥ 0 (0: four times the encoder's width), got {o.ProjectionDim}");
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"vicreg: projection_hidden_dim must be ≥ 0 (0: the projection width), got {o.ProjectionHiddenDim}");
        if (o.ProjectionLayers < 1) throw new ArgumentException($"vicreg: projection_layers must be ≥ 1, got {o.ProjectionLayers}");
        foreach (var (name, w) in new[] { ("invariance_weight", o.InvarianceWeight), ("variance_weight", o.VarianceWeight), ("covariance_weight", o.CovarianceWeight) })
            if (!(w >= 0)) throw new ArgumentException($"vicreg: {name} must be ≥ 0, got {w}");
        if (!(o.Gamma > 0)) throw new ArgumentException($"vicreg: gamma must be > 0, got {o.Gamma}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"vicreg: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
