using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>How colorization predicts ab.</summary>
public enum ColorizationLoss
{
    /// <summary>A distribution over the quantised ab bins, with class-rebalanced cross-entropy (the paper's method).</summary>
    Classification,
    /// <summary>ab itself with the mean squared error (the paper's regression baseline).</summary>
    Regression,
}

/// <summary>Colorization hyperparameters (Zhang, Isola and Efros 2016, "Colorful Image Colorization").</summary>
public sealed record ColorizationOptions
{
    /// <summary>Classification over ab bins (paper) or regression of ab (its L2 baseline).</summary>
    public ColorizationLoss Loss { get; init; } = ColorizationLoss.Classification;
    /// <summary>Step of the ab grid (paper: 10).</summary>
    public double GridSize { get; init; } = 10;
    /// <summary>Mix of the uniform distribution into the smoothed empirical one before inverting it for the class weights (paper: λ = 0.5).</summary>
    public double RebalanceLambda { get; init; } = 0.5;
    /// <summary>σ of the Gaussian smoothing the empirical bin distribution, in ab units (paper: 5); 0: no smoothing.</summary>
    public double SmoothingSigma { get; init; } = 5;
    /// <summary>Whether to weight the loss by the class-rebalancing weights (paper: yes; without, its "classification" ablation).</summary>
    public bool Rebalance { get; init; } = true;
    /// <summary>Training images counted for the empirical bin distribution (the paper counts ImageNet's training set).</summary>
    public int PriorImages { get; init; } = 10_000;
    /// <summary>Temperature of the annealed-mean decoding in pictures (paper: T = 0.38).</summary>
    public double Temperature { get; init; } = 0.38;
    /// <summary>
    /// The loss is taken at every <c>loss_stride</c>-th pixel of each row and column, the logits upsampled to that grid
    /// (reference: 4, its stride-4 subsampling of the ground-truth ab, data_ab_ss, against a network output at a
    /// quarter of the input's size); 1: at every pixel.
    /// </summary>
    public int LossStride { get; init; } = 4;
}

/// <summary>
/// Colorization (Zhang, Isola and Efros 2016): the encoder sees only the CIE L channel of an image and predicts its ab
/// channels. Its feature map goes through a 1×1 convolution to Q logits per position (one per in-gamut ab bin of
/// <see cref="AbBins"/>), upsampled bilinearly to the loss grid, every <see cref="ColorizationOptions.LossStride"/>-th
/// pixel (the reference's quarter resolution); the loss is the cross-entropy at each grid pixel against that pixel's
/// nearest bin, weighted by the class-rebalancing weight of that bin
/// (<see cref="ClassRebalancing"/>, from the training images' bin frequencies counted when training starts). The
/// paper's soft encoding of the target over the 5 nearest bins is not built: each pixel's target is its nearest bin.
/// As an option ab is regressed with the mean squared error. The encoder is built with one input channel
/// (<see cref="MethodInfo.EncoderChannels"/>) and the representation is it behind the RGB → L conversion
/// (<see cref="LightnessEncoder"/>). A gray (one-channel) run trains on a degenerate task, every pixel in the
/// ab = (0, 0) bin. Encoders whose features are tokens (ViTs) are refused: the head needs a feature map.
/// </summary>
public sealed class Colorization : SslMethod, IPretextTask, IReconstructionPictures
{
    readonly LightnessEncoder representation;
    readonly Conv2d head;
    readonly Tensor bin_counts;
    readonly Tensor class_weights;
    readonly Tensor centers;

    /// <param name="encoder">A one-channel encoder whose features are a map [B, D, h, w].</param>
    /// <param name="imageSize">Side of the training images.</param>
    /// <param name="stats">The run's normalisation statistics.</param>
    /// <param name="options">The options.</param>
    public Colorization(Encoder encoder, int imageSize, ChannelStats stats, ColorizationOptions options) : base(nameof(Colorization), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PriorImages < 1) throw new ArgumentException($"colorization.prior_images: expected ≥ 1, got {options.PriorImages}");
        if (!(options.Temperature > 0)) throw new ArgumentException($"colorization.temperature: expected > 0, got {options.Temperature}");
        if (options.LossStride < 1) throw new ArgumentException($"colorization.loss_stride: expected ≥ 1, got {options.LossStride}");
        Options = options;
        Stats = stats;
        Bins = new AbBins(options.GridSize);
        ClassRebalancing.Weights(ones(1), options.RebalanceLambda).Dispose(); // validates λ
        var featureDim = FeatureMaps.Channels(encoder, 1, imageSize, "colorization");
        representation = new LightnessEncoder(encoder, stats);
        head = ConvolutionGuard.Conv2d(featureDim, options.Loss == ColorizationLoss.Classification ? Bins.Count : 2, 1);
        bin_counts = zeros(Bins.Count);
        class_weights = ones(Bins.Count);
        centers = Bins.CenterTensor(CPU);
        RegisterComponents();
    }

    public ColorizationOptions Options { get; }

    public ChannelStats Stats { get; }

    /// <summary>The quantised ab plane.</summary>
    public AbBins Bins { get; }

    /// <summary>The encoder behind the RGB → L conversion.</summary>
    public override Encoder Representation => representation;

    /// <summary>Per-bin loss weights [Q]: all 1 until the bin frequencies are counted.</summary>
    public Tensor ClassWeights => class_weights;

    /// <summary>Training pixels per bin [Q], counted when training starts (all 0 before).</summary>
    public Tensor BinCounts => bin_counts;

    /// <summary>ab units per unit of the regression output (the official code's ab_norm, 110).</summary>
    public const double AbScale = 110;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "colorization", "pretext",
        "Zhang, Isola and Efros 2016, Colorful Image Colorization (arXiv:1603.08511)",
        "the encoder sees the L channel; a 1×1 conv on its feature map, upsampled to every 4th pixel, classifies each of those pixels' ab into 261 in-gamut bins with class-rebalanced cross-entropy (MSE regression as an option)",
        new Recipe
        {
            Source = "Zhang et al. 2016 §3: Adam, β (0.9, 0.99), weight decay 1e-3, lr 3e-5 at batch 40 (scaled linearly with the batch here; the paper drops it to 1e-5 and 3e-6 on plateaus, replaced by the cosine decay)",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 3e-5, Scaling = LrScaling.Linear, ReferenceBatch = 40,
            WeightDecay = 1e-3, AdamBeta2 = 0.99,
        },
        new ColorizationOptions(),
        (ctx, o) => new Colorization(ctx.Encoder, ctx.ImageSize, ctx.Stats, o),
        (ctx, _) => Autoencoder.UnaugmentedViews(ctx.Stats)) with { EncoderChannels = _ => 1 };

    /// <summary>
    /// Logits [B, Q, H', W'] (or ab/110 [B, 2, H', W'] for regression) on the loss grid of Lab images [B, 3, H, W]
    /// (H' = ⌈H / loss_stride⌉), with the embedding [B, D].
    /// </summary>
    public (Tensor Output, Tensor Embedding) Predict(Tensor lab)
    {
        using var scope = NewDisposeScope();
        var features = Encoder.ForwardFeatures(LightnessEncoder.InputOf(lab)); // [B, D, h, w]
        var output = nn.functional.interpolate(head.call(features), size: [GridSide(lab.shape[2]), GridSide(lab.shape[3])],
            mode: InterpolationMode.Bilinear, align_corners: false);            // [B, Q, H', W']
        return (output.MoveToOuterDisposeScope(), Encoder.Pool(features).MoveToOuterDisposeScope());
    }

    long GridSide(long side) => (side + Options.LossStride - 1) / Options.LossStride;

    /// <summary>The pixels the loss is taken at: every loss_stride-th row and column from the first, [B, c, H', W'].</summary>
    public Tensor OnLossGrid(Tensor x) => Options.LossStride == 1
        ? x.alias()
        : x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, Options.LossStride), TensorIndex.Slice(null, null, Options.LossStride)];

    /// <summary>The bin each loss-grid pixel's prediction picks [B, H', W']: the argmax of the logits, or the regressed ab's nearest bin.</summary>
    public Tensor PredictedBins(Tensor output) => Options.Loss == ColorizationLoss.Classification
        ? output.argmax(1)
        : Bins.Quantise(output * AbScale);

    /// <summary>The loss of an output [B, Q or 2, H', W'] for the target ab on the same grid [B, 2, H', W'] (<see cref="OnLossGrid"/>).</summary>
    public Tensor Loss(Tensor output, Tensor ab)
    {
        using var scope = NewDisposeScope();
        if (Options.Loss == ColorizationLoss.Regression)
            return nn.functional.mse_loss(output, ab / AbScale).MoveToOuterDisposeScope();
        var target = Bins.Quantise(ab);                                                      // [B, H, W]
        var ce = nn.functional.cross_entropy(output, target, reduction: nn.Reduction.None); // [B, H, W]
        if (Options.Rebalance) ce = ce * class_weights.index([target]);
        return ce.mean().MoveToOuterDisposeScope();
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView(GetName()); // [B, C, H, W]
        Tensor lab;
        using (no_grad()) lab = LightnessEncoder.Lab(x, Stats);
        using var _lab = lab;
        using var ab = OnLossGrid(lab.narrow(1, 1, 2));
        var (output, embedding) = Predict(lab);
        using var _o = output;
        using var target = Bins.Quantise(ab);
        using var predicted = PredictedBins(output.detach());
        return new StepResult(Loss(output, ab), new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(embedding.detach()),
            ["pretext_accuracy"] = predicted.eq(target).to(ScalarType.Float32).mean(),
        });
    }

    /// <summary>Counts the training images' bins once (up to <see cref="ColorizationOptions.PriorImages"/>) and sets the class weights.</summary>
    public override void BeforeEpoch(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (bin_counts.sum().item<float>() > 0) return;
        TrainingLab.ForEachChunk(context, Stats, Options.PriorImages, bin_counts.device, lab =>
            bin_counts.add_(bincount(Bins.Quantise(lab.narrow(1, 1, 2)).flatten(), minlength: Bins.Count).to(bin_counts.dtype)));
        SetWeights();
    }

    /// <summary>The class weights from <see cref="BinCounts"/>: smoothed, mixed with uniform, inverted and normalised.</summary>
    public void SetWeights()
    {
        using var scope = NewDisposeScope();
        var smoothed = ClassRebalancing.Smooth(bin_counts, centers.to(bin_counts.device), Options.SmoothingSigma);
        class_weights.copy_(ClassRebalancing.Weights(smoothed, Options.RebalanceLambda));
    }

    /// <summary>
    /// ab [B, 2, H, W] as the annealed mean of the predicted distribution (§2.3): softmax(logits/T), the distribution
    /// sharpened by z^(1/T) and renormalised, averaged over the bin centres; T = 1 is the mean, T → 0 the mode.
    /// </summary>
    public static Tensor AnnealedMean(Tensor logits, Tensor binCenters, double temperature)
    {
        using var scope = NewDisposeScope();
        var p = (logits / temperature).softmax(1);                                    // [B, Q, H, W]
        return einsum("bqhw,qc->bchw", p, binCenters.to(p.dtype)).MoveToOuterDisposeScope(); // [B, 2, H, W]
    }

    public string PretextMetric => "ab-bin accuracy";

    /// <summary>A constant guess of the most common bin: its share of the counted training pixels; 1/Q before they are counted.</summary>
    public double PretextChance
    {
        get
        {
            var total = bin_counts.sum().item<float>();
            return total > 0 ? bin_counts.max().item<float>() / total : 1.0 / Bins.Count;
        }
    }

    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var lab = LightnessEncoder.Lab(images, Stats);
        var (output, _) = Predict(lab);
        var target = Bins.Quantise(OnLossGrid(lab.narrow(1, 1, 2)));
        var correct = PredictedBins(output).eq(target).sum().item<long>();
        return (correct, target.numel());
    }

    public IReadOnlyList<string> PictureColumns => ["gray", "colorized", "original"];

    /// <summary>
    /// The L channel alone | L with the predicted ab (annealed mean at <see cref="ColorizationOptions.Temperature"/>,
    /// upsampled bilinearly from the loss grid to the image, as the reference upsamples its quarter-size output) | the image.
    /// </summary>
    public Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var lab = LightnessEncoder.Lab(images, Stats);
        var l = lab.narrow(1, 0, 1);
        var (output, _) = Predict(lab);
        var grid = Options.Loss == ColorizationLoss.Classification
            ? AnnealedMean(output, centers.to(output.device), Options.Temperature)
            : output * AbScale;
        var ab = nn.functional.interpolate(grid, size: [l.shape[2], l.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        var gray = LightnessEncoder.ModelInputOf(cat([l, zeros_like(ab)], 1), Stats, images.shape[1]);
        var colorized = LightnessEncoder.ModelInputOf(cat([l, ab], 1), Stats, images.shape[1]);
        return new[] { gray, colorized, images.clone() }.Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }
}
