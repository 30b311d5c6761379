using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Jigsaw-puzzle hyperparameters (Noroozi and Favaro 2016, "Unsupervised Learning of Visual Representations by Solving
/// Jigsaw Puzzles", §3–3.2), scaled from the paper's 225 px crops of 75 px cells and 64 px tiles to 32 px and 28 px images.
/// </summary>
public sealed record JigsawOptions
{
    /// <summary>Size P of the permutation set, the number of classes (paper: 100, its best trade-off of 1,000 tried).</summary>
    public int Permutations { get; init; } = 100;
    /// <summary>Seed of the greedy maximal-Hamming permutation set's first, random, permutation; the set is saved with the model, so a checkpoint keeps the set it was trained with.</summary>
    public int PermutationSeed { get; init; }
    /// <summary>Tile side as a share of the grid cell, rounded down: 8 px of 10 on 32 px images, 7 px of 9 on 28 px (paper: 64 px of 75, 0.853). The rest of the cell is a random gap and jitter.</summary>
    public double TileFraction { get; init; } = 0.85;
    /// <summary>Normalise each tile's channels to zero mean and unit deviation on their own, so that low-level statistics shared across tile borders (paper §3.2: mean and std) cannot solve the puzzle.</summary>
    public bool TileNormalization { get; init; } = true;
    /// <summary>Hidden width of the classifier on the nine concatenated tile embeddings; 0: four times the encoder's width (paper: fc7 of 4,096 on nine 1,024-d fc6 outputs).</summary>
    public int HeadHiddenDim { get; init; }
}

/// <summary>Where the tiles of a batch of puzzles lie: the labels [B] (indices into the permutation set), the grid's top-left corners [B], and each tile's top-left corner [B, 9] in reading order of the original image.</summary>
public sealed record JigsawPlacement(Tensor Labels, Tensor GridTop, Tensor GridLeft, Tensor TileTop, Tensor TileLeft);

/// <summary>
/// Jigsaw puzzles (Noroozi and Favaro 2016): a 3 × 3 grid of cells is laid at a random place in each image and a tile
/// smaller than its cell is cut at a random place inside each cell, so neighbouring tiles are separated by a random gap
/// (with jitter) and cannot be matched by their edges. Each tile is normalised on its own. The nine tiles are shuffled
/// by one of P permutations (<see cref="JigsawPermutations.Maximal"/>, chosen once and kept in the model's state, so
/// the checkpoint holds the set), each goes through the shared (Siamese) encoder, and an MLP on the nine concatenated
/// embeddings, in shuffled order, names the permutation (P-way cross-entropy). Position s of the shuffled puzzle holds
/// the tile of grid cell permutation[s]. The views are the plain normalised images; the tiles are the augmentation. The
/// representation is the encoder on whole images. Reports its pretext accuracy (chance 1/P) through <see cref="IPretextTask"/>.
/// </summary>
public sealed class Jigsaw : SslMethod, IPretextTask
{
    /// <summary>Tiles of a 3 × 3 puzzle.</summary>
    public const int Tiles = 9;

    readonly Encoder encoder;
    readonly MlpHead head;
    readonly Tensor permutations;

    public Jigsaw(Encoder encoder, int imageSize, JigsawOptions options) : base(nameof(Jigsaw), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Cell = imageSize / 3;
        TileSize = (int)Math.Floor(Cell * options.TileFraction);
        Validate(options, imageSize, Cell, TileSize);
        ImageSize = imageSize;
        this.encoder = encoder;
        var set = JigsawPermutations.Maximal(options.Permutations, Tiles, options.PermutationSeed);
        permutations = tensor(set.SelectMany(p => p.Select(i => (long)i)).ToArray(), [set.Length, Tiles]);
        var hidden = options.HeadHiddenDim > 0 ? options.HeadHiddenDim : 4 * encoder.EmbeddingDim;
        head = new MlpHead(new MlpHeadOptions(Tiles * encoder.EmbeddingDim, [hidden], set.Length));
        RegisterComponents();
    }

    public JigsawOptions Options { get; }
    public int ImageSize { get; }
    /// <summary>Side of a grid cell in pixels (a third of the image, rounded down).</summary>
    public int Cell { get; }
    /// <summary>Side of a tile in pixels.</summary>
    public int TileSize { get; }
    /// <summary>The permutation set [P, 9] (int64), part of the model's state: row k maps puzzle position s to grid cell.</summary>
    public Tensor PermutationSet => permutations;
    /// <summary>The classifier on the nine concatenated tile embeddings.</summary>
    public MlpHead Head => head;

    public string PretextMetric => "jigsaw accuracy";

    public double PretextChance => 1.0 / permutations.shape[0];

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "jigsaw", "pretext",
        "Noroozi and Favaro 2016, Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles (arXiv:1603.09246)",
        "3 × 3 tiles (random gap and jitter inside each cell, each tile normalised on its own) shuffled by one of P = 100 maximal-Hamming permutations; the shared encoder embeds each tile, an MLP on the nine concatenated embeddings names the permutation (P-way)",
        Rotation.CifarRecipe("borrowed: Noroozi and Favaro 2016 train their context-free network on ImageNet (SGD, lr 0.01, 350k steps of 256) and give no recipe at CIFAR scale, so RotNet's CIFAR recipe (Gidaris et al. 2018; gidariss/FeatureLearningRotNet) is used: SGD momentum 0.9, lr 0.1, weight decay 5e-4"),
        new JigsawOptions(),
        (ctx, o) => new Jigsaw(ctx.Encoder, ctx.ImageSize, o),
        (ctx, _) => Autoencoder.UnaugmentedViews(ctx.Stats));

    /// <summary>
    /// Draws <paramref name="batch"/> puzzles: a uniform label, a grid origin where the 3 × 3 cells fit in the image,
    /// and each tile's place inside its cell, uniform over the cell's free margin per axis.
    /// </summary>
    public JigsawPlacement Place(long batch, Generator? generator)
    {
        var span = 3 * Cell;
        var labels = randint(0, permutations.shape[0], [batch], generator: generator);                 // [B]
        var gridTop = randint(0, ImageSize - span + 1, [batch], generator: generator);                  // [B]
        var gridLeft = randint(0, ImageSize - span + 1, [batch], generator: generator);                 // [B]
        using var cellRow = arange(Tiles).div(3, rounding_mode: RoundingMode.floor).mul(Cell);          // [9]
        using var cellCol = arange(Tiles).remainder(3).mul(Cell);                                       // [9]
        using var inTop = randint(0, Cell - TileSize + 1, [batch, Tiles], generator: generator);        // [B, 9]
        using var inLeft = randint(0, Cell - TileSize + 1, [batch, Tiles], generator: generator);       // [B, 9]
        return new JigsawPlacement(labels, gridTop, gridLeft,
            gridTop.unsqueeze(1) + cellRow + inTop, gridLeft.unsqueeze(1) + cellCol + inLeft);
    }

    /// <summary>The tiles of <paramref name="images"/> [B, C, H, W] at <paramref name="placement"/>, in the shuffled order of each puzzle's permutation: [B, 9, C, t, t].</summary>
    public Tensor Shuffled(Tensor images, JigsawPlacement placement)
    {
        using var scope = NewDisposeScope();
        var b = images.shape[0];
        var tiles = stack(Enumerable.Range(0, Tiles).Select(k =>
            RelativeLocation.Cut(images, placement.TileTop[.., k], placement.TileLeft[.., k], TileSize)), 1); // [B, 9, C, t, t]
        var order = permutations.index_select(0, placement.Labels).to(images.device);                       // [B, 9]
        var index = order.view(b, Tiles, 1, 1, 1).expand(tiles.shape);                                      // [B, 9, C, t, t]
        return tiles.gather(1, index).MoveToOuterDisposeScope();                                             // [B, 9, C, t, t]
    }

    /// <summary>Each tile's channels shifted to mean 0 and scaled to deviation 1 over its own pixels (a flat channel keeps deviation 1): [..., C, t, t].</summary>
    public static Tensor NormalizeTiles(Tensor tiles)
    {
        using var scope = NewDisposeScope();
        var mean = tiles.mean([-2L, -1L], keepdim: true);                                               // [..., C, 1, 1]
        var std = tiles.std([-2L, -1L], unbiased: false, keepdim: true);                                // [..., C, 1, 1]
        var safe = where(std.gt(1e-6), std, ones_like(std));
        return ((tiles - mean) / safe).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, P] and labels [B] of one drawn puzzle per image, with the tile embeddings [9B, D].</summary>
    (Tensor Logits, Tensor Labels, Tensor Embeddings) Forward(Tensor images, Generator? generator)
    {
        if (images.dim() != 4 || images.shape[2] < ImageSize || images.shape[3] < ImageSize)
            throw new ArgumentException($"jigsaw: images must be [B, C, {ImageSize}, {ImageSize}], got [{string.Join(", ", images.shape)}]");
        var b = images.shape[0];
        var placement = Place(b, generator);
        var tiles = Shuffled(images, placement);                                                        // [B, 9, C, t, t]
        if (Options.TileNormalization) tiles = NormalizeTiles(tiles);
        var h = encoder.forward(tiles.flatten(0, 1));                                                   // [9B, D]
        return (head.forward(h.reshape(b, -1)), placement.Labels.to(images.device), h);                   // [B, P]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var (logits, labels, h) = Forward(batch.SingleView(GetName()), null);
        return PretextClassification.Step(logits, labels, h);
    }

    /// <summary>One drawn puzzle per image, placement and permutation from <paramref name="generator"/>: correct predictions of B.</summary>
    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        return PretextClassification.Score(this, () =>
        {
            var (logits, labels, _) = Forward(images, generator);
            return (logits, labels);
        });
    }

    static void Validate(JigsawOptions o, int imageSize, int cell, int tile)
    {
        if (o.Permutations < 2) throw new ArgumentException($"jigsaw: permutations must be ≥ 2 (the classes to tell apart), got {o.Permutations}");
        if (!(o.TileFraction > 0 && o.TileFraction <= 1)) throw new ArgumentException($"jigsaw: tile_fraction must be in (0, 1], got {o.TileFraction}");
        if (tile < 1) throw new ArgumentException($"jigsaw: tile_fraction {o.TileFraction} of a {cell} px cell ({imageSize} px image) leaves no pixel; expected tile_fraction ≥ {1.0 / Math.Max(cell, 1):0.###} or larger images");
        if (o.HeadHiddenDim < 0) throw new ArgumentException($"jigsaw: head_hidden_dim must be ≥ 0 (0: four times the encoder's width), got {o.HeadHiddenDim}");
    }
}
