using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>SimCLR hyperparameters (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual Representations").</summary>
public sealed record SimClrOptions
{
    /// <summary>τ of NT-Xent. The paper uses 0.5 on CIFAR-10 (appendix B.9) and 0.1 for large-batch ImageNet.</summary>
    public double Temperature { get; init; } = 0.5;
    /// <summary>Hidden width of the projection MLP (paper: 2048 on ResNet-50).</summary>
    public int ProjectionHiddenDim { get; init; } = 2048;
    /// <summary>Output width of the projection MLP, where the loss is computed (paper: 128).</summary>
    public int ProjectionDim { get; init; } = 128;
    /// <summary>
    /// BatchNorm (scale only) on the projection's output layer, as google-research/simclr builds g. Off by default:
    /// the paper's g(h) = W₂σ(W₁h) ends in a plain Linear layer, and the results in docs/methods.md were measured so.
    /// </summary>
    public bool ProjectionOutputBatchNorm { get; init; }
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop; the paper uses 0.08.</summary>
    public double CropMinScale { get; init; } = 0.08;
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
        projector = MlpHead.SimClr(encoder.EmbeddingDim, options.ProjectionHiddenDim, options.ProjectionDim,
            outputBatchNorm: options.ProjectionOutputBatchNorm);
        RegisterComponents();
    }

    public SimClrOptions Options { get; }

    public static MethodInfo Info { get; } = new(
        Name: "simclr",
        Family: "contrastive",
        Paper: "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations (arXiv:2002.05709)",
        Summary: "two augmented views, MLP projection, NT-Xent over 2N views with in-batch negatives",
        Create: ctx => new SimClr(ctx.Encoder, OptionBinder.Bind(new SimClrOptions(), ctx.Overrides, "simclr")),
        CreateViews: ctx => TwoViews.ForImages(ctx.ImageSize, ctx.Channels, ctx.Stats,
            OptionBinder.Bind(new SimClrOptions(), ctx.Overrides, "simclr").CropMinScale));

    public override StepResult TrainingStep(Tensor[] views)
    {
        if (views.Length != 2) throw new ArgumentException($"SimCLR expects 2 views, got {views.Length}");
        var n = views[0].shape[0];
        // One encoder pass over both views keeps BatchNorm statistics shared, as in the paper's global BN.
        var h = encoder.forward(cat([views[0], views[1]], 0));   // [2N, D]
        var z = projector.forward(h);                             // [2N, P]
        var loss = NtXentLoss.Compute(z.narrow(0, 0, n), z.narrow(0, n, n), Options.Temperature);
        var scalars = new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()),
        };
        return new StepResult(loss, scalars);
    }
}
