using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>SimSiam hyperparameters (Chen and He 2021, "Exploring Simple Siamese Representation Learning").</summary>
public sealed record SimSiamOptions
{
    /// <summary>Output width of the projector, where the predictor works; 0: the encoder's width (paper: 2048 on ResNet-50).</summary>
    public int ProjectionDim { get; init; }
    /// <summary>Hidden width of the projector; 0: the encoder's width, as the official builder (prev_dim).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Linear layers of the projector, BN on each, the last without γ/β (paper: 3).</summary>
    public int ProjectionLayers { get; init; } = 3;
    /// <summary>Bottleneck width of the predictor h; 0: a quarter of the projection width (paper: 512 for 2048).</summary>
    public int PredictorHiddenDim { get; init; }
    /// <summary>
    /// Stop the gradient at the targets z (paper: true). False lets the loss back-propagate through both branches,
    /// the paper's §4.1 ablation, where the representation collapses to a constant.
    /// </summary>
    public bool StopGradient { get; init; } = true;
    /// <summary>Keep the predictor's learning rate at its peak instead of decaying it (official code: --fix-pred-lr, §4.4).</summary>
    public bool FixPredictorLr { get; init; } = true;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (official code: 0.2).</summary>
    public double CropMinScale { get; init; } = 0.2;
    /// <summary>Start each ResNet residual branch's last BN at γ = 0, as the official builder does; ignored for other encoders.</summary>
    public bool ZeroInitResidual { get; init; } = true;
}

/// <summary>
/// SimSiam: one shared encoder f (backbone + projection MLP) embeds both views, z₁ = f(x₁), z₂ = f(x₂); a prediction
/// MLP h maps each to pᵢ = h(zᵢ); the loss −½(cos(p₁, sg(z₂)) + cos(p₂, sg(z₁))) (<see cref="NegativeCosineLoss.SimSiam"/>)
/// stops the gradient at the targets. No negatives, no momentum encoder: the stop-gradient alone keeps the
/// representation from collapsing (<see cref="SimSiamOptions.StopGradient"/> turns it off). The representation is
/// the backbone. The predictor's rate stays fixed (<see cref="SslMethod.FixedLearningRateParameters"/>). Views are
/// SimCLR's at the official crop scale (0.2, 1): jitter 0.4/0.4/0.4/0.1 with p 0.8, grayscale 0.2, blur p 0.5 at
/// ≥ 64 px. Each view goes through the networks on its own, as in the official code. Biases and BN parameters get
/// no weight decay (the Trainer's rule for every method); the official code decays them too.
/// </summary>
public sealed class SimSiam : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly MlpHead predictor;

    public SimSiam(Encoder encoder, SimSiamOptions options) : base(nameof(SimSiam), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        if (options.ZeroInitResidual && encoder is ResNet resnet) resnet.ZeroInitResidualBranches();
        var dim = options.ProjectionDim > 0 ? options.ProjectionDim : encoder.EmbeddingDim;
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        var bottleneck = options.PredictorHiddenDim > 0 ? options.PredictorHiddenDim : Math.Max(1, dim / 4);
        projector = MlpHead.SimSiam(encoder.EmbeddingDim, hidden, dim, options.ProjectionLayers);
        predictor = MlpHead.SimSiamPredictor(dim, bottleneck);
        RegisterComponents();
    }

    public SimSiamOptions Options { get; }

    public MlpHead Projector => projector;

    public MlpHead Predictor => predictor;

    /// <summary>The predictor's parameters when <see cref="SimSiamOptions.FixPredictorLr"/> is set, else none.</summary>
    public override IEnumerable<Parameter> FixedLearningRateParameters => Options.FixPredictorLr ? predictor.parameters() : [];

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "simsiam", "non-contrastive",
        "Chen and He 2021, Exploring Simple Siamese Representation Learning (arXiv:2011.10566)",
        "shared encoder + projector, a predictor MLP regresses the other view's stop-gradient projection; no negatives, no EMA",
        new Recipe
        {
            Source = "Chen and He 2021 §4 and facebookresearch/simsiam main_simsiam.py: SGD momentum 0.9, lr 0.05 × B/256, weight decay 1e-4, cosine decay, no warm-up, predictor lr fixed (--fix-pred-lr)",
            Optimizer = OptimizerKind.Sgd,
            BaseLearningRate = 0.05,
            Scaling = LrScaling.Linear,
            WeightDecay = 1e-4,
            WarmupEpochs = 0,
        },
        new SimSiamOptions(),
        (ctx, o) => new SimSiam(ctx.Encoder, o),
        (ctx, o) => TwoViews.ForImages(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"SimSiam expects 2 views, got {batch.Views.Length}");
        var h1 = encoder.forward(batch.Views[0]);                      // [B, D]
        var h2 = encoder.forward(batch.Views[1]);                      // [B, D]
        var z1 = projector.forward(h1);                                // [B, P]
        var z2 = projector.forward(h2);                                // [B, P]
        var p1 = predictor.forward(z1);                                // [B, P]
        var p2 = predictor.forward(z2);                                // [B, P]
        var loss = Loss(p1, p2, z1, z2, Options.StopGradient);
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(cat([h1, h2], 0).detach()),
            // The paper's collapse indicator (§4.1, Figure 2): std of the ℓ2-normalised projections, ≈ 1/√P when healthy, 0 when collapsed.
            ["projection_std"] = Monitors.StdOfL2Normalized(z1.detach()),
        });
    }

    /// <summary>
    /// −½(cos(p₁, sg(z₂)) + cos(p₂, sg(z₁))): with <paramref name="stopGradient"/> the targets z are detached, without
    /// it the loss also back-propagates through them (the collapsing ablation).
    /// </summary>
    public static Tensor Loss(Tensor p1, Tensor p2, Tensor z1, Tensor z2, bool stopGradient = true)
    {
        if (!stopGradient) return NegativeCosineLoss.SimSiam(p1, p2, z1, z2);
        using var t1 = z1.detach();
        using var t2 = z2.detach();
        return NegativeCosineLoss.SimSiam(p1, p2, t1, t2);
    }

    static void Validate(SimSiamOptions o)
    {
        if (o.ProjectionDim < 0) throw new ArgumentException($"simsiam: projection_dim must be ≥ 0 (0: the encoder's width), got {o.ProjectionDim}");
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"simsiam: projection_hidden_dim must be ≥ 0 (0: the encoder's width), got {o.ProjectionHiddenDim}");
        if (o.ProjectionLayers < 1) throw new ArgumentException($"simsiam: projection_layers must be ≥ 1, got {o.ProjectionLayers}");
        if (o.PredictorHiddenDim < 0) throw new ArgumentException($"simsiam: predictor_hidden_dim must be ≥ 0 (0: a quarter of the projection width), got {o.PredictorHiddenDim}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"simsiam: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
