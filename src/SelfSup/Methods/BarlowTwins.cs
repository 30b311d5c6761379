using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Barlow Twins hyperparameters (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
/// Reduction"; facebookresearch/barlowtwins main.py). The projector's width is sized for a CPU; the paper's is given.
/// </summary>
public sealed record BarlowTwinsOptions
{
    /// <summary>Output width of the projector, where the cross-correlation is taken; 0: four times the encoder's width (paper: 8192 on ResNet-50's 2048).</summary>
    public int ProjectionDim { get; init; }
    /// <summary>Hidden width of the projector; 0: the output width (paper: 8192).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Linear layers of the projector (paper: 3).</summary>
    public int ProjectionLayers { get; init; } = 3;
    /// <summary>λ, the weight of the off-diagonal (redundancy) term (official code: 0.0051; the paper's text: 5·10⁻³).</summary>
    public double Lambda { get; init; } = BarlowTwinsLoss.DefaultLambda;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (paper: 0.08).</summary>
    public double CropMinScale { get; init; } = 0.08;
    /// <summary>Start each ResNet residual branch's last BN at γ = 0 (official code: <c>zero_init_residual=True</c>); ignored for other encoders.</summary>
    public bool ZeroInitResidual { get; init; } = true;
}

/// <summary>
/// Barlow Twins: one encoder and projector embed both views, z₁ and z₂ [B, P]; the loss standardises each dimension
/// over the batch and pushes the cross-correlation matrix of the two views towards the identity
/// (<see cref="BarlowTwinsLoss"/>): diagonal entries to 1 (invariance), off-diagonal ones to 0 (redundancy
/// reduction), weighted by λ. No negatives, predictor, momentum encoder or stop-gradient. The projector is
/// Linear → BN → ReLU twice, then a Linear without bias (<see cref="MlpHead.BarlowTwins"/>). Views are BYOL's
/// asymmetric pair (blur 1.0 / 0.1, solarize 0 / 0.2), as the official code. Each view passes through the networks on
/// its own, so BatchNorm normalises each with its own batch statistics.
/// </summary>
public sealed class BarlowTwins : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;

    public BarlowTwins(Encoder encoder, BarlowTwinsOptions options) : base(nameof(BarlowTwins), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        if (options.ZeroInitResidual && encoder is ResNet resnet) resnet.ZeroInitResidualBranches();
        projector = MlpHead.BarlowTwinsFor(encoder.EmbeddingDim, options.ProjectionDim, options.ProjectionHiddenDim, options.ProjectionLayers);
        RegisterComponents();
    }

    public BarlowTwinsOptions Options { get; }

    public MlpHead Projector => projector;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "barlow-twins", "non-contrastive",
        "Zbontar et al. 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction (arXiv:2103.03230)",
        "shared encoder + projector; the cross-correlation of the two views' standardised projections is pushed to the identity",
        new Recipe
        {
            Source = "Zbontar et al. 2021 §2 and facebookresearch/barlowtwins main.py: LARS (η 1e-3, momentum 0.9; biases and BN excluded from adaptation and decay), lr 0.2 × B/256 for weights (0.0048 × B/256 for biases and BN in the paper; here they follow the weights' rate), weight decay 1.5e-6 (main.py: 1e-6), 10 warm-up epochs, cosine, batch 2048",
            Optimizer = OptimizerKind.Lars,
            BaseLearningRate = 0.2,
            Scaling = LrScaling.Linear,
            WeightDecay = 1.5e-6,
            WarmupEpochs = 10,
        },
        new BarlowTwinsOptions(),
        (ctx, o) => new BarlowTwins(ctx.Encoder, o),
        (ctx, o) => TwoViews.Byol(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"Barlow Twins expects 2 views, got {batch.Views.Length}");
        var h1 = encoder.forward(batch.Views[0]);                      // [B, D]
        var h2 = encoder.forward(batch.Views[1]);                      // [B, D]
        var z1 = projector.forward(h1);                                // [B, P]
        var z2 = projector.forward(h2);                                // [B, P]
        // Data-parallel: every rank computes the loss of the global batch (its cross-correlation spans all rows).
        var world = context.Collectives;
        var terms = BarlowTwinsLoss.Compute(world.AllGather(z1), world.AllGather(z2), Options.Lambda);
        return new StepResult(terms.Loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(cat([h1, h2], 0).detach()),
            ["invariance"] = terms.Invariance.detach(),
            ["redundancy"] = terms.Redundancy.detach(),
        });
    }

    static void Validate(BarlowTwinsOptions o)
    {
        if (o.ProjectionDim < 0) throw new ArgumentException($"barlow-twins: projection_dim must be ≥ 0 (0: four times the encoder's width), got {o.ProjectionDim}");
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"barlow-twins: projection_hidden_dim must be ≥ 0 (0: the projection width), got {o.ProjectionHiddenDim}");
        if (o.ProjectionLayers < 1) throw new ArgumentException($"barlow-twins: projection_layers must be ≥ 1, got {o.ProjectionLayers}");
        if (!(o.Lambda >= 0)) throw new ArgumentException($"barlow-twins: lambda must be ≥ 0, got {o.Lambda}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"barlow-twins: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
