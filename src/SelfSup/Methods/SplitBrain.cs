using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>How each half of a split-brain autoencoder predicts the other's channels.</summary>
public enum CrossChannelLoss
{
    /// <summary>Per-pixel cross-entropy over quantised targets: ab bins for L → ab, L bins for ab → L (the paper's best variant).</summary>
    Classification,
    /// <summary>Per-pixel mean squared error of ab/110 and of (L − 50)/100 (the paper's regression variant).</summary>
    Regression,
}

/// <summary>Split-brain autoencoder hyperparameters (Zhang, Isola and Efros 2017, "Split-Brain Autoencoders").</summary>
public sealed record SplitBrainOptions
{
    /// <summary>Whether each sub-network has half the run's width, so the two together are as wide as the run's encoder (paper: one network split in half along every layer's channels); false: two networks of the run's full width.</summary>
    public bool HalfWidth { get; init; } = true;
    /// <summary>Classification over quantised targets (paper's best) or regression.</summary>
    public CrossChannelLoss Loss { get; init; } = CrossChannelLoss.Classification;
    /// <summary>Step of the ab grid the L → ab network classifies into (paper: 10, as colorization).</summary>
    public double GridSize { get; init; } = 10;
    /// <summary>Bins over L ∈ [0, 100] the ab → L network classifies into (paper: 50).</summary>
    public int LightnessBins { get; init; } = 50;
    /// <summary>Whether to weight the L → ab cross-entropy by colorization's class-rebalancing weights (Zhang et al. 2016 §2.2, whose ab classification the L → ab half reuses).</summary>
    public bool Rebalance { get; init; } = true;
    /// <summary>Mix of the uniform distribution into the smoothed ab-bin distribution before inverting it (colorization: λ = 0.5).</summary>
    public double RebalanceLambda { get; init; } = 0.5;
    /// <summary>σ of the Gaussian smoothing the ab-bin distribution, in ab units (colorization: 5); 0: no smoothing.</summary>
    public double SmoothingSigma { get; init; } = 5;
    /// <summary>Training images counted for the bin frequencies (class weights and chance levels).</summary>
    public int PriorImages { get; init; } = 10_000;
    /// <summary>Temperature of the annealed-mean decoding in pictures (colorization: T = 0.38).</summary>
    public double Temperature { get; init; } = 0.38;
}

/// <summary>
/// Split-brain autoencoder (Zhang, Isola and Efros 2017): the network is split into two disjoint sub-networks, F1 sees
/// the CIE L channel and predicts ab, F2 sees ab and predicts L; the representation is both, concatenated
/// (<see cref="SplitBrainEncoder"/>). Each prediction is a 1×1 convolution on the sub-network's feature map,
/// upsampled bilinearly to the image size: Q logits per pixel over the in-gamut ab bins (<see cref="AbBins"/>,
/// optionally class-rebalanced as colorization) and K logits over the L bins (<see cref="LightnessBins"/>); the loss
/// is the sum of the two per-pixel cross-entropies (or, as an option, of two mean squared errors). By default each
/// sub-network has half the run's width (a ResNet or ConvNet of even width), built from the run's architecture by
/// <see cref="MethodContext.CreateEncoderWith"/>. A gray run trains F2 on a blank input (ab = 0 everywhere), so only
/// F1 learns. Encoders whose features are tokens (ViTs) are refused: the heads need feature maps.
/// </summary>
public sealed class SplitBrain : SslMethod, IPretextTask, IReconstructionPictures
{
    readonly SplitBrainEncoder representation;
    readonly Conv2d ab_head;
    readonly Conv2d l_head;
    readonly Tensor ab_counts;
    readonly Tensor l_counts;
    readonly Tensor ab_weights;
    readonly Tensor ab_centers;
    readonly Tensor l_centers;

    /// <param name="lightness">F1: a one-channel encoder whose features are a map.</param>
    /// <param name="color">F2: a two-channel encoder whose features are a map of the same spatial size.</param>
    /// <param name="imageSize">Side of the training images.</param>
    /// <param name="stats">The run's normalisation statistics.</param>
    /// <param name="options">The options.</param>
    public SplitBrain(Encoder lightness, Encoder color, int imageSize, ChannelStats stats, SplitBrainOptions options) : base(nameof(SplitBrain), lightness)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PriorImages < 1) throw new ArgumentException($"split-brain.prior_images: expected ≥ 1, got {options.PriorImages}");
        if (!(options.Temperature > 0)) throw new ArgumentException($"split-brain.temperature: expected > 0, got {options.Temperature}");
        if (!(options.SmoothingSigma >= 0)) throw new ArgumentException($"split-brain.smoothing_sigma: expected ≥ 0, got {options.SmoothingSigma}");
        if (!(options.RebalanceLambda > 0 && options.RebalanceLambda <= 1)) throw new ArgumentException($"split-brain.rebalance_lambda: expected a mix in (0, 1], got {options.RebalanceLambda}");
        if (!(options.GridSize > 0 && options.GridSize <= 110)) throw new ArgumentException($"split-brain.grid_size: expected a step in (0, 110] ab units, got {options.GridSize}");
        Options = options;
        Stats = stats;
        AbBins = new AbBins(options.GridSize);
        LBins = new LightnessBins(options.LightnessBins);
        representation = new SplitBrainEncoder(lightness, color, imageSize, stats);
        var classify = options.Loss == CrossChannelLoss.Classification;
        ab_head = ConvolutionGuard.Conv2d(representation.LightnessChannels, classify ? AbBins.Count : 2, 1);
        l_head = ConvolutionGuard.Conv2d(representation.ColorChannels, classify ? LBins.Count : 1, 1);
        ab_counts = zeros(AbBins.Count);
        l_counts = zeros(LBins.Count);
        ab_weights = ones(AbBins.Count);
        ab_centers = AbBins.CenterTensor(CPU);
        l_centers = LBins.CenterTensor(CPU);
        RegisterComponents();
    }

    public SplitBrainOptions Options { get; }

    public ChannelStats Stats { get; }

    /// <summary>The quantised ab plane F1 classifies into.</summary>
    public AbBins AbBins { get; }

    /// <summary>The quantised L axis F2 classifies into.</summary>
    public LightnessBins LBins { get; }

    /// <summary>Both sub-networks behind the RGB → Lab conversion, their embeddings concatenated.</summary>
    public override Encoder Representation => representation;

    /// <summary>F2, the ab → L network (F1 is <see cref="SslMethod.Encoder"/>).</summary>
    public Encoder ColorEncoder => representation.Color;

    /// <summary>Per-ab-bin loss weights [Q]: all 1 until counted, and always 1 without <see cref="SplitBrainOptions.Rebalance"/>.</summary>
    public Tensor ClassWeights => ab_weights;

    /// <summary>Training pixels per ab bin [Q] and per L bin [K], counted when training starts (0 before).</summary>
    public (Tensor Ab, Tensor L) BinCounts => (ab_counts, l_counts);

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "split-brain", "pretext",
        "Zhang, Isola and Efros 2017, Split-Brain Autoencoders: Unsupervised Learning by Cross-Channel Prediction (arXiv:1611.09842)",
        "two half-width sub-networks: one sees L and classifies each pixel's ab into 261 bins, the other sees ab and classifies L into 50 bins; the representation concatenates both",
        Colorization.Info.Recipe with
        {
            Source = "borrowed: Zhang et al. 2017 train AlexNet halves on ImageNet and give no CIFAR-scale solver, so colorization's (Zhang et al. 2016 §3) is used: Adam, β (0.9, 0.99), weight decay 1e-3, lr 3e-5 at batch 40 scaled linearly with the batch, cosine decay",
        },
        new SplitBrainOptions(),
        (ctx, o) =>
        {
            var (lightness, color) = SubNetworks(ctx, o);
            return new SplitBrain(lightness, color, ctx.ImageSize, ctx.Stats, o);
        },
        (ctx, _) => Autoencoder.UnaugmentedViews(ctx.Stats)) with { EncoderChannels = _ => 1 };

    /// <summary>
    /// F1 (one channel) and F2 (two channels) of the run's architecture: with <see cref="SplitBrainOptions.HalfWidth"/>
    /// both built at half the width of the context's encoder (a ResNet or ConvNet of even width, its default width
    /// resolved), else the context's one-channel encoder and a two-channel one of the same width.
    /// </summary>
    public static (Encoder Lightness, Encoder Color) SubNetworks(MethodContext ctx, SplitBrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(options);
        var create = ctx.CreateEncoderWith
            ?? throw new ArgumentException("split-brain: the method context has no CreateEncoderWith to build the sub-networks from the run's architecture");
        FeatureMaps.Channels(ctx.Encoder, 1, ctx.ImageSize, "split-brain");
        if (!options.HalfWidth) return (ctx.Encoder, create(o => o with { InChannels = 2 }));
        var width = ctx.Encoder switch
        {
            ResNet r => r.Width,
            ConvNet c => c.Width,
            _ => throw new ArgumentException($"split-brain.half_width: the width of {ctx.Encoder.GetName()} cannot be halved (ResNets and ConvNets only); set half_width=false"),
        };
        if (width < 2 || width % 2 != 0)
            throw new ArgumentException($"split-brain.half_width: the run's width {width} does not split into two equal halves; expected an even width ≥ 2, or half_width=false");
        return (create(o => o with { InChannels = 1, Width = width / 2 }), create(o => o with { InChannels = 2, Width = width / 2 }));
    }

    /// <summary>Outputs of Lab images [B, 3, H, W]: the ab prediction [B, Q, H, W] (or [B, 2, H, W]), the L prediction [B, K, H, W] (or [B, 1, H, W]), and the embedding [B, D1 + D2].</summary>
    public (Tensor Ab, Tensor L, Tensor Embedding) Predict(Tensor lab)
    {
        using var scope = NewDisposeScope();
        var size = new[] { lab.shape[2], lab.shape[3] };
        var (fl, fc) = representation.FeaturesOfLab(lab);
        var ab = nn.functional.interpolate(ab_head.call(fl), size: size, mode: InterpolationMode.Bilinear, align_corners: false); // [B, Q, H, W]
        var l = nn.functional.interpolate(l_head.call(fc), size: size, mode: InterpolationMode.Bilinear, align_corners: false);   // [B, K, H, W]
        var embedding = representation.PoolBoth(fl, fc);                                                                             // [B, D1 + D2]
        return (ab.MoveToOuterDisposeScope(), l.MoveToOuterDisposeScope(), embedding.MoveToOuterDisposeScope());
    }

    bool Classifies => Options.Loss == CrossChannelLoss.Classification;

    /// <summary>The ab bin [B, H, W] each pixel's ab prediction picks.</summary>
    public Tensor PredictedAbBins(Tensor ab) => Classifies ? ab.argmax(1) : AbBins.Quantise(ab * Colorization.AbScale);

    /// <summary>The L bin [B, H, W] each pixel's L prediction picks.</summary>
    public Tensor PredictedLBins(Tensor l) => Classifies
        ? l.argmax(1)
        : LBins.Quantise(l * LightnessEncoder.LightnessScale + LightnessEncoder.LightnessCenter);

    /// <summary>The L → ab loss of an ab prediction for the target Lab [B, 3, H, W].</summary>
    public Tensor AbLoss(Tensor ab, Tensor lab)
    {
        using var scope = NewDisposeScope();
        var target = lab.narrow(1, 1, 2); // [B, 2, H, W]
        if (!Classifies) return nn.functional.mse_loss(ab, target / Colorization.AbScale).MoveToOuterDisposeScope();
        var bins = AbBins.Quantise(target);                                                   // [B, H, W]
        var ce = nn.functional.cross_entropy(ab, bins, reduction: nn.Reduction.None) * ab_weights.index([bins]); // [B, H, W]
        return ce.mean().MoveToOuterDisposeScope();
    }

    /// <summary>The ab → L loss of an L prediction for the target Lab [B, 3, H, W].</summary>
    public Tensor LLoss(Tensor l, Tensor lab)
    {
        using var scope = NewDisposeScope();
        var target = lab.narrow(1, 0, 1); // [B, 1, H, W]
        return (Classifies
            ? nn.functional.cross_entropy(l, LBins.Quantise(target))
            : nn.functional.mse_loss(l, LightnessEncoder.InputOf(lab))).MoveToOuterDisposeScope();
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView(GetName()); // [B, C, H, W]
        Tensor lab;
        using (no_grad()) lab = LightnessEncoder.Lab(x, Stats);
        using var _lab = lab;
        var (ab, l, embedding) = Predict(lab);
        using var _ab = ab;
        using var _l = l;
        using var _e = embedding;
        using var abLoss = AbLoss(ab, lab);
        using var lLoss = LLoss(l, lab);
        using var abAccuracy = Accuracy(PredictedAbBins(ab.detach()), AbBins.Quantise(lab.narrow(1, 1, 2)));
        using var lAccuracy = Accuracy(PredictedLBins(l.detach()), LBins.Quantise(lab.narrow(1, 0, 1)));
        return new StepResult(abLoss + lLoss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(embedding.detach()),
            ["pretext_accuracy"] = (abAccuracy + lAccuracy) / 2,
            ["ab_accuracy"] = abAccuracy.clone(),
            ["l_accuracy"] = lAccuracy.clone(),
            ["ab_loss"] = abLoss.detach().clone(),
            ["l_loss"] = lLoss.detach().clone(),
        });
    }

    static Tensor Accuracy(Tensor predicted, Tensor target)
    {
        using var _p = predicted;
        using var _t = target;
        return predicted.eq(target).to(ScalarType.Float32).mean();
    }

    /// <summary>Counts the training images' ab and L bins once (up to <see cref="SplitBrainOptions.PriorImages"/>) and sets the ab class weights.</summary>
    public override void BeforeEpoch(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ab_counts.sum().item<float>() > 0) return;
        TrainingLab.ForEachChunk(context, Stats, Options.PriorImages, ab_counts.device, lab =>
        {
            ab_counts.add_(bincount(AbBins.Quantise(lab.narrow(1, 1, 2)).flatten(), minlength: AbBins.Count).to(ab_counts.dtype));
            l_counts.add_(bincount(LBins.Quantise(lab.narrow(1, 0, 1)).flatten(), minlength: LBins.Count).to(l_counts.dtype));
        });
        if (!Options.Rebalance) return;
        using var scope = NewDisposeScope();
        var smoothed = ClassRebalancing.Smooth(ab_counts, ab_centers.to(ab_counts.device), Options.SmoothingSigma);
        using var noGrad = no_grad();
        ab_weights.copy_(ClassRebalancing.Weights(smoothed, Options.RebalanceLambda));
    }

    public string PretextMetric => "mean of ab-bin and L-bin accuracy";

    /// <summary>Constant guesses of the most common ab bin and of the most common L bin: the mean of their shares of the counted pixels (1/Q and 1/K before counting).</summary>
    public double PretextChance => (MostCommonShare(ab_counts) + MostCommonShare(l_counts)) / 2;

    static double MostCommonShare(Tensor counts)
    {
        var total = counts.sum().item<float>();
        return total > 0 ? counts.max().item<float>() / total : 1.0 / counts.shape[0];
    }

    /// <summary>Correct ab-bin plus correct L-bin predictions, out of 2·B·H·W: the mean of the two accuracies.</summary>
    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var lab = LightnessEncoder.Lab(images, Stats);
        var (ab, l, _) = Predict(lab);
        var correct = PredictedAbBins(ab).eq(AbBins.Quantise(lab.narrow(1, 1, 2))).sum().item<long>()
            + PredictedLBins(l).eq(LBins.Quantise(lab.narrow(1, 0, 1))).sum().item<long>();
        return (correct, 2 * images.shape[0] * images.shape[2] * images.shape[3]);
    }

    public IReadOnlyList<string> PictureColumns => ["original", "L → ab", "ab → L"];

    /// <summary>The image | its L with F1's ab (annealed mean) | its ab with F2's L (annealed mean), each at <see cref="SplitBrainOptions.Temperature"/>.</summary>
    public Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var lab = LightnessEncoder.Lab(images, Stats);
        var (ab, l, _) = Predict(lab);
        var abHat = Classifies ? Colorization.AnnealedMean(ab, ab_centers.to(ab.device), Options.Temperature) : ab * Colorization.AbScale;
        var lHat = Classifies
            ? Colorization.AnnealedMean(l, l_centers.to(l.device), Options.Temperature)
            : l * LightnessEncoder.LightnessScale + LightnessEncoder.LightnessCenter;
        var colorized = LightnessEncoder.ModelInputOf(cat([lab.narrow(1, 0, 1), abHat], 1), Stats, images.shape[1]);
        var relit = LightnessEncoder.ModelInputOf(cat([lHat.clamp(0, LightnessBins.MaxLightness), lab.narrow(1, 1, 2)], 1), Stats, images.shape[1]);
        return new[] { images.clone(), colorized, relit }.Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }
}
