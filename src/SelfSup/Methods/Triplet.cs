using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Hyperparameters of self-supervised triplet learning: FaceNet's loss and semi-hard mining (Schroff et al. 2015),
/// or Hermans et al. 2017's batch-hard and batch-all mining, within the batch, where each image is its own class.
/// </summary>
public sealed record TripletOptions
{
    /// <summary>α, the gap asked between d(a, n) and d(a, p). FaceNet uses 0.2 on its unit-norm embeddings (§3).</summary>
    public double Margin { get; init; } = 0.2;
    /// <summary>
    /// Which triplets the loss is taken over. Semi-hard (FaceNet §3.2): each view against its other view and the
    /// nearest view of another image that is farther than it. FaceNet chose it because the hardest negatives "can
    /// lead to bad local minima early on ... a collapsed model"; with each image its own class, batch-hard mining
    /// (Hermans et al. 2017) collapsed every CIFAR-10 run to a point within ≈ 120 steps, semi-hard did not
    /// (docs/methods.md, triplet).
    /// </summary>
    public TripletMining Mining { get; init; } = TripletMining.SemiHard;
    /// <summary>The distance: Euclidean (Hermans et al. 2017; PyTorch's <c>TripletMarginLoss</c>) or FaceNet's squared one.</summary>
    public TripletDistance Distance { get; init; } = TripletDistance.Euclidean;
    /// <summary>L2-normalise the embedding, FaceNet's constraint ‖f(x)‖₂ = 1, which gives the margin its scale.</summary>
    public bool Normalize { get; init; } = true;
    /// <summary>Batch-all only: average over the triplets with a positive loss (Hermans et al. 2017's BA≠0) rather than all.</summary>
    public bool AverageOverActive { get; init; } = true;
    /// <summary>Hermans et al. 2017's soft margin ln(1 + exp(d(a, p) − d(a, n))) in place of the hinge with margin α; off by default (FaceNet's hinge).</summary>
    public bool SoftMargin { get; init; }
    /// <summary>Hidden width of the projection MLP; 0: the encoder's embedding width (SimCLR's head).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Width of the embedding the loss sees; FaceNet's embedding has 128 dimensions.</summary>
    public int ProjectionDim { get; init; } = 128;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop; SimCLR's 0.08.</summary>
    public double CropMinScale { get; init; } = 0.08;
}

/// <summary>
/// Self-supervised triplet learning: two augmented views of each image (SimCLR's augmentations) → encoder →
/// projection MLP → L2-normalised embedding, and the triplet loss with labels = image index, so each view's positive
/// is the other view of its image and its negatives are the views of the other images in the batch.
/// </summary>
public sealed class Triplet : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly TripletLossOptions loss;

    public Triplet(Encoder encoder, TripletOptions options) : base(nameof(Triplet), encoder)
    {
        this.encoder = encoder;
        Options = options;
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        projector = MlpHead.SimClr(encoder.EmbeddingDim, hidden, options.ProjectionDim, outputBatchNorm: false);
        loss = new TripletLossOptions
        {
            Margin = options.Margin,
            Mining = options.Mining,
            Distance = options.Distance,
            Normalize = options.Normalize,
            AverageOverActive = options.AverageOverActive,
            SoftMargin = options.SoftMargin,
        };
        RegisterComponents();
    }

    public TripletOptions Options { get; }

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "triplet", "contrastive",
        "Schroff et al. 2015, FaceNet: A Unified Embedding for Face Recognition and Clustering (arXiv:1503.03832); mining from Hermans et al. 2017, In Defense of the Triplet Loss for Person Re-Identification (arXiv:1703.07737)",
        "two augmented views, MLP projection, L2-normalised embedding, triplet loss with each image its own class (semi-hard mining, margin 0.2)",
        new Recipe
        {
            Source = "borrowed from SimCLR's CIFAR-10 command (google-research/simclr README: LARS, learning_rate 1.0 scaled × B/256, weight_decay 1e-4, 10 warm-up epochs); the triplet papers train supervised with other optimisers",
            Optimizer = OptimizerKind.Lars,
            BaseLearningRate = 1.0,
            Scaling = LrScaling.Linear,
            WeightDecay = 1e-4,
            WarmupEpochs = 10,
        },
        new TripletOptions(),
        (ctx, o) => new Triplet(ctx.Encoder, o),
        (ctx, o) => TwoViews.ForImages(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"triplet expects 2 views, got {batch.Views.Length}");
        var (a, b) = (batch.Views[0], batch.Views[1]);
        var n = a.shape[0];
        if (n < 2) throw new ArgumentException($"triplet needs at least 2 images per batch (to have negatives), got {n}");
        var h = encoder.forward(cat([a, b], 0));                  // [2N, D]
        var z = projector.forward(h);                             // [2N, P]
        var world = context.Collectives;
        // Image ids unique over ranks; data-parallel, every rank mines the global batch's triplets.
        var labels = arange(n, ScalarType.Int64, z.device).add(world.Rank * n).repeat(2); // [2N]: view i and view i + N share image i
        var value = TripletLoss.Compute(world.AllGather(z), world.AllGather(labels), loss);
        return new StepResult(value, new Dictionary<string, Tensor> { ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()) });
    }
}
