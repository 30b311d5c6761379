using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>SimCLR hyperparameters (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual Representations").</summary>
public sealed record SimClrOptions
{
    /// <summary>τ of NT-Xent. The paper uses 0.5 on CIFAR-10 (appendix B.9) and 0.1 for large-batch ImageNet.</summary>
    public double Temperature { get; init; } = 0.5;
    /// <summary>Hidden width of the projection MLP; 0: the encoder's embedding width, as the reference code does (2048 on ResNet-50).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Output width of the projection MLP, where the loss is computed (paper: 128).</summary>
    public int ProjectionDim { get; init; } = 128;
    /// <summary>BatchNorm (scale only) on the projection's output layer, as google-research/simclr builds g (the paper's g(h) = W₂σ(W₁h) ends in a plain Linear).</summary>
    public bool ProjectionOutputBatchNorm { get; init; } = true;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop; the paper uses 0.08.</summary>
    public double CropMinScale { get; init; } = 0.08;
    /// <summary>Start each ResNet residual branch's last BN at γ = 0, as the reference ResNet does; ignored for other encoders.</summary>
    public bool ZeroInitResidual { get; init; } = true;
}

/// <summary>
/// SimCLR: two augmented views of each image → encoder f → projection g → NT-Xent, each view's positive is
/// the other view of its image and the remaining 2N − 2 views in the batch are negatives.
/// </summary>
public sealed class SimClr : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;

    public SimClr(Encoder encoder, SimClrOptions options) : base(nameof(SimClr), encoder)
    {
        this.encoder = encoder;
        Options = options;
        if (options.ZeroInitResidual && encoder is ResNet resnet) resnet.ZeroInitResidualBranches();
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        projector = MlpHead.SimClr(encoder.EmbeddingDim, hidden, options.ProjectionDim, outputBatchNorm: options.ProjectionOutputBatchNorm);
        RegisterComponents();
    }

    public SimClrOptions Options { get; }

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "simclr", "contrastive",
        "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations (arXiv:2002.05709)",
        "two augmented views, MLP projection, NT-Xent over 2N views with in-batch negatives",
        new Recipe
        {
            Source = "google-research/simclr README, CIFAR-10 pretraining (LARS, learning_rate 1.0 scaled × B/256, weight_decay 1e-4, 10 warm-up epochs)",
            Optimizer = OptimizerKind.Lars, BaseLearningRate = 1.0, Scaling = LrScaling.Linear, WeightDecay = 1e-4, WarmupEpochs = 10,
        },
        new SimClrOptions(),
        (ctx, o) => new SimClr(ctx.Encoder, o),
        (ctx, o) => TwoViews.ForImages(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"SimCLR expects 2 views, got {batch.Views.Length}");
        var (a, b) = (batch.Views[0], batch.Views[1]);
        var n = a.shape[0];
        // One encoder pass over both views keeps BatchNorm statistics shared, as in the paper's global BN.
        var h = encoder.forward(cat([a, b], 0));                  // [2N, D]
        var z = projector.forward(h);                             // [2N, P]
        var loss = NtXentLoss.Compute(z.narrow(0, 0, n), z.narrow(0, n, n), Options.Temperature, context.Collectives);
        return new StepResult(loss, new Dictionary<string, Tensor> { ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()) });
    }
}
