using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// CPC hyperparameters (van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding" §3.3;
/// Hénaff et al. 2020, "Data-Efficient Image Recognition with Contrastive Predictive Coding"). Both papers cut a
/// 256-px image into a 7 × 7 grid of 64-px patches with a 32-px stride; the defaults keep those proportions for any
/// image size. The optimiser recipe (Adam, lr 2e-4) is <see cref="Cpc.Info"/>'s.
/// </summary>
public sealed record CpcOptions
{
    /// <summary>Side of a patch in pixels; 0: a quarter of the image side (papers: 64 of 256 px; 8 px on 32-px images, 7 on 28).</summary>
    public int PatchSize { get; init; }
    /// <summary>Pixels between neighbouring patches; 0: half the patch, rounded down (papers: 32 for 64-px patches, half-overlapping).</summary>
    public int PatchStride { get; init; }
    /// <summary>K, rows predicted below each context row, one Linear W_k per step (van den Oord et al.: up to 5 rows); must be below the grid's row count.</summary>
    public int Steps { get; init; } = 5;
    /// <summary>Hidden width of the GRU context network (van den Oord et al.: a 256-unit GRU for audio; Hénaff et al.: 256-channel PixelCNN layers).</summary>
    public int ContextDim { get; init; } = 256;
    /// <summary>Score predictions by cosine similarity / τ; false: the papers' log-bilinear score exp(zᵀ W_k c), a raw dot product.</summary>
    public bool Cosine { get; init; }
    /// <summary>τ dividing the scores (papers: 1, no temperature; the cosine score, bounded by ±1/τ, needs τ well below 1, as in SimCLR).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Drop two of the three colour channels of every patch, at random per patch (Hénaff et al. 2020's colour dropping); 1-channel images are left as they are.</summary>
    public bool PatchColorDrop { get; init; } = true;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop, followed by a horizontal flip (the papers take random crops that keep most of the image, and flips).</summary>
    public double CropMinScale { get; init; } = 0.7;
}

/// <summary>
/// CPC on images: one lightly augmented view (random resized crop, flip) is cut into a grid of overlapping patches,
/// each patch is encoded on its own by the run's encoder (<see cref="PatchGridEncoder"/>) into z [B, D, G, G]; a GRU
/// runs down each column of the grid, so the context at row t has seen rows ≤ t of its column only, and predicts the
/// patch embeddings 1…K rows below (<see cref="CpcPredictor"/>). InfoNCE with the log-bilinear score picks the true
/// patch among every other reachable (image, position) of the batch. The representation is the patch path itself:
/// the mean patch embedding of the whole image's grid (<see cref="Representation"/>). The papers replace BatchNorm in
/// the encoder (its statistics span an image's patches, which can leak across them: Hénaff et al. use LayerNorm);
/// here the encoder is the run's, BatchNorm included. The scores form one [N_k, N_k] matrix per step with
/// N_k = B·G·(G − k) rows: 2,688² at batch 64 on a 7 × 7 grid.
/// </summary>
public sealed class Cpc : SslMethod
{
    /// <summary>CPC's negatives are the other patches of the batch, which are not gathered across ranks yet.</summary>
    public override string? DataParallelProblem(bool syncBatchNorm) =>
        "cpc: its negatives are the other patches of the batch and are not gathered across ranks yet; train it in one process";


    readonly PatchGridEncoder patches;
    readonly CpcPredictor predictor;

    /// <param name="encoder">Encodes single patches; it must accept <see cref="CpcOptions.PatchSize"/>-pixel inputs.</param>
    /// <param name="imageSize">Side of the training images.</param>
    /// <param name="channels">Channels of the training images.</param>
    public Cpc(Encoder encoder, int imageSize, int channels, CpcOptions options) : base(nameof(Cpc), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        if (options.PatchSize < 0) throw new ArgumentException($"cpc.patch_size: expected 0 (a quarter of the image) or a positive size, got {options.PatchSize}");
        if (options.PatchStride < 0) throw new ArgumentException($"cpc.patch_stride: expected 0 (half the patch) or a positive stride, got {options.PatchStride}");
        PatchSize = options.PatchSize > 0 ? options.PatchSize : imageSize / 4;
        if (PatchSize < 1) throw new ArgumentException($"cpc: images of {imageSize} px are too small for a patch grid; expected at least 4 px");
        if (PatchSize > imageSize) throw new ArgumentException($"cpc.patch_size: expected ≤ the image size {imageSize}, got {PatchSize}");
        var stride = options.PatchStride > 0 ? options.PatchStride : Math.Max(1, PatchSize / 2);
        patches = new PatchGridEncoder(encoder, channels, PatchSize, stride);
        Grid = patches.GridFor(imageSize);
        if (options.Steps < 1 || options.Steps >= Grid)
            throw new ArgumentException($"cpc.steps: expected 1 … {Grid - 1} on a {Grid} × {Grid} grid ({PatchSize}-px patches, stride {stride}, {imageSize}-px images), got {options.Steps}");
        predictor = new CpcPredictor(encoder.EmbeddingDim, options.ContextDim, options.Steps, options.Cosine, options.Temperature);
        RegisterComponents();
    }

    public CpcOptions Options { get; }

    /// <summary>Side of a patch in pixels, after resolving the default.</summary>
    public int PatchSize { get; }

    /// <summary>Patches along each side of a training image.</summary>
    public int Grid { get; }

    public CpcPredictor Predictor => predictor;

    /// <summary>The mean patch embedding of the image's grid, through the same patch path as training.</summary>
    public override Encoder Representation => patches;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "cpc", "contrastive",
        "van den Oord et al. 2018, Representation Learning with Contrastive Predictive Coding (arXiv:1807.03748); Hénaff et al. 2020, Data-Efficient Image Recognition with CPC (arXiv:1905.09272)",
        "grid of overlapping patches encoded one by one, a GRU down each column predicts the patches 1…K rows below, InfoNCE against every other patch of the batch",
        new Recipe
        {
            Source = "van den Oord et al. 2018 §3: Adam, learning rate 2e-4 (no weight decay; Hénaff et al. 2020 train with Adam too)",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 2e-4, WeightDecay = 0,
        },
        new CpcOptions(),
        (ctx, o) => new Cpc(ctx.Encoder, ctx.ImageSize, ctx.Channels, o),
        (ctx, o) => MaeViews.ForImages(ctx.ImageSize, ctx.Stats, o.CropMinScale));

    /// <summary>
    /// The context of a patch-embedding grid z [B, G_h, G_w, D] (rows top to bottom): [B, G_h, G_w, H], where the
    /// context at (row t, column j) has seen z at rows ≤ t of column j only.
    /// </summary>
    public Tensor Context(Tensor grid)
    {
        using var scope = NewDisposeScope();
        var columns = Columns(grid);                                              // [B·G_w, G_h, D]
        var c = predictor.Context(columns);                                       // [B·G_w, G_h, H]
        var (b, gh, gw) = (grid.shape[0], grid.shape[1], grid.shape[2]);
        return c.reshape(b, gw, gh, c.shape[2]).permute(0, 2, 1, 3).MoveToOuterDisposeScope(); // [B, G_h, G_w, H]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 1) throw new ArgumentException($"CPC expects 1 view, got {batch.Views.Length}");
        var x = batch.Views[0];                                                   // [B, C, H, W]
        var (gh, gw) = (patches.GridFor((int)x.shape[2]), patches.GridFor((int)x.shape[3]));
        var cut = patches.Cut(x);                                                 // [B·G_h·G_w, C, p, p]
        if (Options.PatchColorDrop && training) cut = DropColors(cut);
        var z = patches.EncodePatches(cut, x.shape[0], gh, gw);                   // [B, D, G_h, G_w]
        var output = predictor.Forward(Columns(z.permute(0, 2, 3, 1)));
        return new StepResult(output.Loss, new Dictionary<string, Tensor>
        {
            ["cpc_accuracy"] = output.Accuracy,
            ["embedding_std"] = Monitors.StdOfL2Normalized(patches.Pool(z).detach()),
        });
    }

    /// <summary>Grid [B, G_h, G_w, D] → its columns as sequences [B·G_w, G_h, D], time running down the rows.</summary>
    static Tensor Columns(Tensor grid)
    {
        if (grid.dim() != 4) throw new ArgumentException($"CPC: expected a patch grid [B, G_h, G_w, D], got [{string.Join(", ", grid.shape)}]");
        var (b, gh, gw, d) = (grid.shape[0], grid.shape[1], grid.shape[2], grid.shape[3]);
        return grid.permute(0, 2, 1, 3).reshape(b * gw, gh, d);                   // [B·G_w, G_h, D]
    }

    /// <summary>
    /// Keeps one colour channel of each patch [N, 3, p, p], drawn uniformly, and sets the other two to 0 (the dataset
    /// mean after normalisation). Patches with other channel counts pass unchanged.
    /// </summary>
    internal static Tensor DropColors(Tensor patches) => ColorDropping.Apply(patches);
}
