using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Context-prediction hyperparameters (Doersch et al. 2015, "Unsupervised Visual Representation Learning by Context
/// Prediction", §3–3.1), scaled from the paper's 96 px patches on ImageNet to 32 px and 28 px images.
/// </summary>
public sealed record RelativeLocationOptions
{
    /// <summary>Patch side as a share of the image side, rounded down: 8 px on 32 px, 7 px on 28 px (paper: 96 px patches of images resized to 150–450k pixels).</summary>
    public double PatchFraction { get; init; } = 0.25;
    /// <summary>Gap between neighbouring patches as a share of the patch side, rounded: 2 px of 8 (paper: 48 px of 96, one half; a quarter here, to leave room for the jitter on 32 px images).</summary>
    public double GapFraction { get; init; } = 0.25;
    /// <summary>Largest shift of each patch from its grid cell as a share of the patch side, rounded: ±1 px of 8, drawn per patch and axis (paper: up to 7 px of 96, about 0.07; 0.125 here, one pixel at least).</summary>
    public double JitterFraction { get; init; } = 0.125;
    /// <summary>Keep one random colour channel of each patch and replace the other two with noise (paper §3.1: colour dropping against chromatic aberration).</summary>
    public bool ColorDrop { get; init; } = true;
    /// <summary>Standard deviation of the noise in the dropped channels, in normalised units (paper: about 1/100 of the channel's deviation).</summary>
    public double ColorDropNoise { get; init; } = 0.01;
    /// <summary>Hidden width of the classifier on the two concatenated embeddings; 0: the encoder's width (paper: fc7 of 4096 on two 4096-d fc6 outputs).</summary>
    public int HeadHiddenDim { get; init; }
}

/// <summary>
/// Where one pair of patches lies: the label (0–7, the neighbour's cell in reading order around the centre: 0 top-left,
/// 1 top, 2 top-right, 3 left, 4 right, 5 bottom-left, 6 bottom, 7 bottom-right), the top-left corner of the 3 × 3 grid
/// and the top-left corners of the centre and neighbour patches, all [B] int64.
/// </summary>
public sealed record PatchPairPlacement(Tensor Labels, Tensor GridTop, Tensor GridLeft, Tensor CentreTop, Tensor CentreLeft, Tensor NeighbourTop, Tensor NeighbourLeft);

/// <summary>
/// Context prediction (Doersch et al. 2015): a 3 × 3 grid of patches with gaps between them is laid at a random place
/// in each image; the centre patch and one of its 8 neighbours, each shifted by a small jitter, go through the shared
/// encoder, and an MLP on the two concatenated embeddings predicts where the neighbour sat (8-way cross-entropy). The
/// gap and jitter stop the network from matching edges and textures across the border. Colour dropping (one random
/// channel kept, the other two replaced with faint noise, per patch and in training only) counters the chromatic
/// aberration shortcut the paper found (the other remedy it gives, projection towards gray, is not built). The views are
/// the plain normalised images; the patches are the augmentation. The representation is the encoder on whole images.
/// Reports its pretext accuracy (chance 1/8) through <see cref="IPretextTask"/>.
/// </summary>
public sealed class RelativeLocation : SslMethod, IPretextTask
{
    /// <summary>The 8 neighbour cells, label → (row, column) in the 3 × 3 grid.</summary>
    static readonly (int Row, int Col)[] Cells = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)];

    readonly Encoder encoder;
    readonly MlpHead head;

    public RelativeLocation(Encoder encoder, int imageSize, RelativeLocationOptions options) : base(nameof(RelativeLocation), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        PatchSize = (int)Math.Floor(imageSize * options.PatchFraction);
        Gap = (int)Math.Round(PatchSize * options.GapFraction, MidpointRounding.AwayFromZero);
        Jitter = (int)Math.Round(PatchSize * options.JitterFraction, MidpointRounding.AwayFromZero);
        Validate(options, imageSize, PatchSize, Gap, Jitter);
        ImageSize = imageSize;
        this.encoder = encoder;
        var hidden = options.HeadHiddenDim > 0 ? options.HeadHiddenDim : encoder.EmbeddingDim;
        head = new MlpHead(new MlpHeadOptions(2 * encoder.EmbeddingDim, [hidden], Cells.Length));
        RegisterComponents();
    }

    public RelativeLocationOptions Options { get; }
    public int ImageSize { get; }
    /// <summary>Side of each patch in pixels.</summary>
    public int PatchSize { get; }
    /// <summary>Gap between neighbouring patches in pixels.</summary>
    public int Gap { get; }
    /// <summary>Largest shift of a patch from its grid cell in pixels, per axis.</summary>
    public int Jitter { get; }
    /// <summary>The classifier on the concatenated embeddings of centre and neighbour.</summary>
    public MlpHead Head => head;

    public string PretextMetric => "relative-location accuracy";

    public double PretextChance => 1.0 / Cells.Length;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "relative-location", "pretext",
        "Doersch et al. 2015, Unsupervised Visual Representation Learning by Context Prediction (arXiv:1505.05192)",
        "a centre patch and one of its 8 neighbours (gap, jitter, colour dropping) through a shared encoder; an MLP on both embeddings predicts the neighbour's position (8-way)",
        Rotation.CifarRecipe("borrowed: Doersch et al. 2015 train an AlexNet-style network on ImageNet and give no recipe at CIFAR scale, so RotNet's CIFAR recipe (Gidaris et al. 2018; gidariss/FeatureLearningRotNet) is used: SGD momentum 0.9, lr 0.1, weight decay 5e-4"),
        new RelativeLocationOptions(),
        (ctx, o) => new RelativeLocation(ctx.Encoder, ctx.ImageSize, o),
        (ctx, _) => Autoencoder.UnaugmentedViews(ctx.Stats));

    /// <summary>(row, column) of label <paramref name="label"/>'s cell in the 3 × 3 grid, the centre being (1, 1).</summary>
    public static (int Row, int Col) Cell(int label) => label is >= 0 and < 8
        ? Cells[label]
        : throw new ArgumentOutOfRangeException(nameof(label), label, "relative-location: a label is 0–7");

    /// <summary>
    /// Draws a placement for <paramref name="batch"/> images: a uniform label, a grid origin where every jittered
    /// patch stays inside the image, and an independent jitter in [−jitter, jitter] per patch and axis.
    /// </summary>
    public PatchPairPlacement Place(long batch, Generator? generator)
    {
        var step = PatchSize + Gap;
        var span = 3 * PatchSize + 2 * Gap;
        var j = Jitter;
        var labels = randint(0, Cells.Length, [batch], generator: generator);                          // [B]
        var gridTop = randint(j, ImageSize - span - j + 1, [batch], generator: generator);              // [B]
        var gridLeft = randint(j, ImageSize - span - j + 1, [batch], generator: generator);             // [B]
        var jitter = randint(-j, j + 1, [batch, 4], generator: generator);                              // [B, 4]
        using var rows = tensor(Cells.Select(c => (long)c.Row).ToArray()).index_select(0, labels);      // [B]
        using var cols = tensor(Cells.Select(c => (long)c.Col).ToArray()).index_select(0, labels);      // [B]
        return new PatchPairPlacement(labels, gridTop, gridLeft,
            gridTop + step + jitter[.., 0], gridLeft + step + jitter[.., 1],
            gridTop + rows * step + jitter[.., 2], gridLeft + cols * step + jitter[.., 3]);
    }

    /// <summary>The square patches of side <paramref name="size"/> at per-image corners (<paramref name="top"/>, <paramref name="left"/>) [B]: [B, C, H, W] → [B, C, size, size].</summary>
    public static Tensor Cut(Tensor images, Tensor top, Tensor left, int size)
    {
        using var scope = NewDisposeScope();
        var (b, c, w) = (images.shape[0], images.shape[1], images.shape[3]);
        var offsets = arange(size, device: images.device);                                              // [p]
        var rows = (top.to(images.device).view(b, 1, 1, 1) + offsets.view(1, 1, size, 1));             // [B, 1, p, 1]
        var cols = (left.to(images.device).view(b, 1, 1, 1) + offsets.view(1, 1, 1, size));            // [B, 1, 1, p]
        var band = images.gather(2, rows.expand(b, c, size, w));                                        // [B, C, p, W]
        return band.gather(3, cols.expand(b, c, size, size)).MoveToOuterDisposeScope();                // [B, C, p, p]
    }

    /// <summary>Logits [B, 8] and labels [B] of one drawn pair per image, with the patch embeddings [2B, D].</summary>
    (Tensor Logits, Tensor Labels, Tensor Embeddings) Forward(Tensor images, Generator? generator)
    {
        if (images.dim() != 4 || images.shape[2] < ImageSize || images.shape[3] < ImageSize)
            throw new ArgumentException($"relative-location: images must be [B, C, {ImageSize}, {ImageSize}], got [{string.Join(", ", images.shape)}]");
        var b = images.shape[0];
        var p = Place(b, generator);
        var pair = cat([Cut(images, p.CentreTop, p.CentreLeft, PatchSize), Cut(images, p.NeighbourTop, p.NeighbourLeft, PatchSize)], 0); // [2B, C, p, p]
        if (Options.ColorDrop) pair = ColorDropping.Apply(pair, generator, Options.ColorDropNoise);     // [2B, C, p, p]
        var h = encoder.forward(pair);                                                                  // [2B, D]
        var joined = cat([h.narrow(0, 0, b), h.narrow(0, b, b)], 1);                                    // [B, 2D]
        return (head.forward(joined), p.Labels.to(images.device), h);                                  // [B, 8]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 1) throw new ArgumentException($"relative-location expects 1 view, got {batch.Views.Length}");
        var (logits, labels, h) = Forward(batch.Views[0], null);
        return PretextClassification.Step(logits, labels, h);
    }

    /// <summary>One drawn pair per image, placement and colour dropping from <paramref name="generator"/>: correct predictions of B.</summary>
    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        return PretextClassification.Score(this, () =>
        {
            var (logits, labels, _) = Forward(images, generator);
            return (logits, labels);
        });
    }

    static void Validate(RelativeLocationOptions o, int imageSize, int patch, int gap, int jitter)
    {
        if (!(o.PatchFraction > 0 && o.PatchFraction < 1.0 / 3)) throw new ArgumentException($"relative-location: patch_fraction must be in (0, 1/3), got {o.PatchFraction}");
        if (patch < 1) throw new ArgumentException($"relative-location: patch_fraction {o.PatchFraction} of {imageSize} px leaves no pixel; expected patch_fraction ≥ {1.0 / imageSize:0.###}");
        if (o.GapFraction < 0) throw new ArgumentException($"relative-location: gap_fraction must be ≥ 0, got {o.GapFraction}");
        if (o.JitterFraction < 0) throw new ArgumentException($"relative-location: jitter_fraction must be ≥ 0, got {o.JitterFraction}");
        if (3 * patch + 2 * gap + 2 * jitter > imageSize)
            throw new ArgumentException($"relative-location: 3 patches of {patch} px, 2 gaps of {gap} and 2 jitters of {jitter} need {3 * patch + 2 * gap + 2 * jitter} px, more than the {imageSize} px image; expected 3·patch + 2·gap + 2·jitter ≤ {imageSize} (lower patch_fraction, gap_fraction or jitter_fraction)");
        if (o.ColorDropNoise < 0) throw new ArgumentException($"relative-location: color_drop_noise must be ≥ 0, got {o.ColorDropNoise}");
        if (o.HeadHiddenDim < 0) throw new ArgumentException($"relative-location: head_hidden_dim must be ≥ 0 (0: the encoder's width), got {o.HeadHiddenDim}");
    }
}
