using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// RotNet hyperparameters (Gidaris et al. 2018, "Unsupervised Representation Learning by Predicting Image Rotations";
/// gidariss/FeatureLearningRotNet, config/CIFAR10_RotNet_NIN4blocks.py and dataloader.py).
/// </summary>
public sealed record RotationOptions
{
    /// <summary>
    /// Hidden width of the rotation classifier; 0: one linear layer on the pooled embedding. The paper's CIFAR
    /// network ends in its own global pooling and a single linear 4-way layer, so 0 is the paper's head.
    /// </summary>
    public int HeadHiddenDim { get; init; }
    /// <summary>Zero padding of the random crop, a shift of up to this many pixels (official CIFAR code: RandomCrop(32, padding=4)); 0: no crop.</summary>
    public int CropPadding { get; init; } = 4;
    /// <summary>Probability of the horizontal flip applied before rotating (official CIFAR code: RandomHorizontalFlip, 0.5).</summary>
    public double FlipP { get; init; } = 0.5;
}

/// <summary>
/// RotNet: every image of the batch is shown at 0°, 90°, 180° and 270° (<see cref="Rotate"/>: torch's rot90 on the
/// spatial dims, counter-clockwise, as the official <c>rotate_img</c>), all four copies side by side in one batch of
/// 4B as the official collate does, and a classifier on the encoder's embedding predicts which rotation it sees
/// (cross-entropy, 4 classes). Recognising "up" needs the objects' shapes and poses, so the features learn them.
/// The views are the official CIFAR ones: a ±4 px padded random crop and a horizontal flip, applied once per image
/// before its four rotations. Rotations need square images. The paper's pretext accuracy, the share of the four
/// rotations of each test image recognised (chance 1/4), is reported by <see cref="PretextScore"/>.
/// </summary>
public sealed class Rotation : SslMethod, IPretextTask
{
    /// <summary>Rotations 0°, 90°, 180°, 270°: the 4 classes.</summary>
    public const int Rotations = 4;

    readonly Encoder encoder;
    readonly MlpHead head;

    public Rotation(Encoder encoder, RotationOptions options) : base(nameof(Rotation), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        head = new MlpHead(options.HeadHiddenDim > 0
            ? new MlpHeadOptions(encoder.EmbeddingDim, [options.HeadHiddenDim], Rotations)
            : new MlpHeadOptions(encoder.EmbeddingDim, [], Rotations));
        RegisterComponents();
    }

    public RotationOptions Options { get; }

    /// <summary>The rotation classifier on the embedding.</summary>
    public MlpHead Head => head;

    /// <summary>RotNet's CIFAR-10 optimiser (SGD momentum 0.9, lr 0.1 at any batch size, weight decay 5e-4, no warm-up), also borrowed by pretext tasks that give none at CIFAR scale.</summary>
    internal static Recipe CifarRecipe(string source) => new()
    {
        Source = source, Optimizer = OptimizerKind.Sgd, BaseLearningRate = 0.1, WeightDecay = 5e-4, Momentum = 0.9, WarmupEpochs = 0,
    };

    public string PretextMetric => "rotation accuracy";

    public double PretextChance => 1.0 / Rotations;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "rotation", "pretext",
        "Gidaris et al. 2018, Unsupervised Representation Learning by Predicting Image Rotations (arXiv:1803.07728)",
        "each image at 0°, 90°, 180°, 270° in one batch; a linear classifier on the embedding predicts the rotation (4-way cross-entropy)",
        CifarRecipe("Gidaris et al. 2018 §3 and gidariss/FeatureLearningRotNet config/CIFAR10_RotNet_NIN4blocks.py: SGD momentum 0.9 (nesterov there, plain here), lr 0.1, weight decay 5e-4, batch 128 images (512 rotated copies); the step schedule (÷5 at epochs 60, 120, 160 of 200) becomes the cosine"),
        new RotationOptions(),
        (ctx, o) => new Rotation(ctx.Encoder, o),
        (ctx, o) => new MaeViews(new ViewPipeline(Views(o), ctx.Stats)));

    static IBatchTransform[] Views(RotationOptions o)
    {
        var t = new List<IBatchTransform>();
        if (o.CropPadding > 0) t.Add(new RandomCrop(o.CropPadding));
        if (o.FlipP > 0) t.Add(new RandomHorizontalFlip(o.FlipP));
        return [.. t];
    }

    /// <summary>
    /// The four rotations of every image, image by image: rows 4i … 4i + 3 hold image i rotated by 0°, 90°, 180°,
    /// 270° counter-clockwise (labels 0, 1, 2, 3), [B, C, S, S] → [4B, C, S, S], and the labels [4B].
    /// </summary>
    public static (Tensor Images, Tensor Labels) Rotate(Tensor images)
    {
        if (images.dim() != 4 || images.shape[2] != images.shape[3])
            throw new ArgumentException($"rotation: images must be square [B, C, S, S], got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var b = images.shape[0];
        var copies = Enumerable.Range(0, Rotations).Select(k => images.rot90(k, (2, 3))).ToArray();           // 4 × [B, C, S, S]
        var rotated = stack(copies, 1).flatten(0, 1);                                                          // [4B, C, S, S]
        var labels = arange(Rotations, ScalarType.Int64, images.device).repeat(b);                             // [4B]
        return (rotated.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>Rotation logits [4B, 4] and labels [4B] of a batch, with the embeddings [4B, D].</summary>
    (Tensor Logits, Tensor Labels, Tensor Embeddings) Forward(Tensor images)
    {
        var (rotated, labels) = Rotate(images);                   // [4B, C, S, S], [4B]
        var h = encoder.forward(rotated);                         // [4B, D]
        return (head.forward(h), labels, h);                      // [4B, 4]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 1) throw new ArgumentException($"rotation expects 1 view, got {batch.Views.Length}");
        var (logits, labels, h) = Forward(batch.Views[0]);
        return PretextClassification.Step(logits, labels, h);
    }

    /// <summary>Correct rotation predictions over the four rotations of every image (4B predictions); no random draws.</summary>
    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        return PretextClassification.Score(this, () =>
        {
            var (logits, labels, _) = Forward(images);
            return (logits, labels);
        });
    }

    static void Validate(RotationOptions o)
    {
        if (o.HeadHiddenDim < 0) throw new ArgumentException($"rotation: head_hidden_dim must be ≥ 0 (0: a linear classifier), got {o.HeadHiddenDim}");
        if (o.CropPadding < 0) throw new ArgumentException($"rotation: crop_padding must be ≥ 0, got {o.CropPadding}");
        if (!(o.FlipP >= 0 && o.FlipP <= 1)) throw new ArgumentException($"rotation: flip_p must be in [0, 1], got {o.FlipP}");
    }
}
