using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Numerics;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>Video colorization hyperparameters (Vondrick et al. 2018, "Tracking Emerges by Colorizing Videos").</summary>
public sealed record VideoColorizationOptions
{
    /// <summary>Colour clusters: k-means of the training pixels' ab at the pointer's resolution (paper: 16).</summary>
    public int Clusters { get; init; } = 16;
    /// <summary>Channels of the pointer's embedding, a 1×1 convolution on the feature map (paper: 64).</summary>
    public int EmbeddingDim { get; init; } = 64;
    /// <summary>Softmax temperature T of the pointer over the reference positions (paper: 1 in training, with 64-d embeddings).</summary>
    public double Temperature { get; init; } = 1;
    /// <summary>
    /// Last stages of a staged encoder (<see cref="IStageFeatures"/>: ResNet) whose maps make the pointer's features,
    /// the coarser ones upsampled bilinearly to the finest one's size and concatenated (2: a CIFAR ResNet's 8×8 third
    /// stage with its 4×4 fourth on 32 px frames, where the paper's network keeps 32×32 of 256 px); 1: the last map
    /// alone. Other encoders give their final map.
    /// </summary>
    public int PointerStages { get; init; } = 2;
    /// <summary>Gray frames after the colour reference (paper: 3 colour references and 1 gray target; here 1 reference and this many targets).</summary>
    public int LaterFrames { get; init; } = 2;
    /// <summary>Largest camera speed of a synthetic clip in image pixels per frame (no video here; the paper samples Kinetics at 6 fps).</summary>
    public double MaxShift { get; init; } = 3;
    /// <summary>Largest relative zoom of a synthetic clip per frame (0.1: ±10 %).</summary>
    public double MaxZoom { get; init; } = 0.1;
    /// <summary>Side of a synthetic clip's largest crop as a fraction of the image's shorter side.</summary>
    public double CropScale { get; init; } = 0.7;
    /// <summary>Training images whose colours are clustered when training starts (the paper clusters a subset of its training frames).</summary>
    public int KMeansImages { get; init; } = 2_000;

    /// <summary>The camera motion of the clips.</summary>
    public ClipMotion Motion => new(LaterFrames, MaxShift, MaxZoom, CropScale);
}

/// <summary>
/// Video colorization (Vondrick et al. 2018): every frame of a clip goes through the same encoder as gray (the CIE L
/// channel alone, built with one input channel); a 1×1 convolution gives an embedding fᵢ per feature-map position, and
/// each position j of a later frame points into the colour reference frame with A_ij = softmax_i(fᵢ·f_j / T). The
/// colour copied to j is Σᵢ A_ij cᵢ, with cᵢ the reference's colour at i as a one-hot over k-means clusters of ab
/// (<see cref="VideoColorizationOptions.Clusters"/>, fitted on training pixels when training starts), and the loss is
/// the cross-entropy of that copied distribution against the later frame's own cluster at j. Colours live at the
/// pointer's resolution: each frame's ab averaged over the feature map's cells. Colour can only be copied right by
/// finding the same point again, so tracking emerges. No video is at hand here: clips are synthetic, sliding and
/// zooming crops of still images (<see cref="SyntheticClips"/>, the method's view recipe <see cref="ClipViews"/>).
/// A gray (one-channel) dataset has no colour; its clusters and copies are then of the lightness L, which the target's
/// own input shows, a degenerate task. The representation is the encoder behind the RGB → L conversion
/// (<see cref="LightnessEncoder"/>). Encoders whose features are tokens (ViTs) are refused.
/// </summary>
public sealed class VideoColorization : SslMethod, IPretextExtraScores, IReconstructionPictures
{
    readonly LightnessEncoder representation;
    readonly Conv2d embed;
    readonly Tensor centroids;
    readonly Tensor cluster_counts;
    readonly int stages;

    /// <param name="encoder">A one-channel encoder whose features are a map [B, D, h, w].</param>
    /// <param name="imageSize">Side of the frames (the run's image size).</param>
    /// <param name="stats">The run's normalisation statistics.</param>
    /// <param name="options">The options.</param>
    public VideoColorization(Encoder encoder, int imageSize, ChannelStats stats, VideoColorizationOptions options) : base(nameof(VideoColorization), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stats);
        if (options.Clusters < 2) throw new ArgumentException($"video-colorization.clusters: expected ≥ 2, got {options.Clusters}");
        if (options.EmbeddingDim < 1) throw new ArgumentException($"video-colorization.embedding_dim: expected ≥ 1, got {options.EmbeddingDim}");
        if (!(options.Temperature > 0)) throw new ArgumentException($"video-colorization.temperature: expected > 0, got {options.Temperature}");
        if (options.PointerStages < 1) throw new ArgumentException($"video-colorization.pointer_stages: expected ≥ 1, got {options.PointerStages}");
        if (options.KMeansImages < 1) throw new ArgumentException($"video-colorization.k_means_images: expected ≥ 1, got {options.KMeansImages}");
        options.Motion.Validate("video-colorization");
        Options = options;
        Stats = stats;
        Clips = new SyntheticClips(imageSize, options.Motion);
        stages = encoder is IStageFeatures ? options.PointerStages : 1;
        var featureDim = PointerChannels(encoder, imageSize);
        representation = new LightnessEncoder(encoder, stats);
        embed = ConvolutionGuard.Conv2d(featureDim, options.EmbeddingDim, 1);
        centroids = zeros(options.Clusters, ColourChannels);
        cluster_counts = zeros(options.Clusters);
        RegisterComponents();
    }

    public VideoColorizationOptions Options { get; }

    public ChannelStats Stats { get; }

    /// <summary>The clips of held-out images (pretext scores, pictures), as the view recipe makes them for training.</summary>
    public SyntheticClips Clips { get; }

    /// <summary>Whether the run's images are gray: then the copied "colour" is L, else ab.</summary>
    public bool IsGray => Stats.Mean.Length == 1;

    /// <summary>Channels of the copied colour: 2 (ab), or 1 (L) for gray runs.</summary>
    public int ColourChannels => IsGray ? 1 : 2;

    /// <summary>The cluster centres [K, 2] in ab (or [K, 1] in L), all 0 until fitted.</summary>
    public Tensor Centroids => centroids;

    /// <summary>Clustered training positions per cluster [K] (all 0 before fitting).</summary>
    public Tensor ClusterCounts => cluster_counts;

    /// <summary>Whether the colour clusters are fitted.</summary>
    public bool ClustersFitted => cluster_counts.sum().item<float>() > 0;

    /// <summary>The encoder behind the RGB → L conversion.</summary>
    public override Encoder Representation => representation;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "video-colorization", "pretext",
        "Vondrick et al. 2018, Tracking Emerges by Colorizing Videos (arXiv:1806.09594)",
        "synthetic clips of sliding, zooming crops of still images; every frame through the encoder as L; gray later frames point into the colour reference frame (softmax of 64-d embedding dot products, T 1) and copy its colour, cross-entropy over 16 k-means ab clusters",
        Autoencoder.AdamRecipe("Vondrick et al. 2018, implementation details: Adam, lr 1e-3 at their batch of 32 (unscaled here), no weight decay, 400k iterations on Kinetics; the cosine decay is the Trainer's"),
        new VideoColorizationOptions(),
        (ctx, o) => new VideoColorization(ctx.Encoder, ctx.ImageSize, ctx.Stats, o),
        (ctx, o) => new ClipViews(new SyntheticClips(ctx.ImageSize, o.Motion), ctx.Stats)) with { EncoderChannels = _ => 1 };

    /// <summary>The pointer's embedding map [N, E, h, w] and the pooled representation [N, D] of Lab frames [N, 3, H, W].</summary>
    public (Tensor Map, Tensor Embedding) Embed(Tensor lab)
    {
        using var scope = NewDisposeScope();
        var input = LightnessEncoder.InputOf(lab);                                        // [N, 1, H, W]
        Tensor[] maps = stages > 1 ? ((IStageFeatures)Encoder).ForwardStages(input)[^stages..] : [Encoder.ForwardFeatures(input)];
        var size = new[] { maps[0].shape[2], maps[0].shape[3] };
        var fused = cat(maps.Select(m => m.shape[2] == size[0] && m.shape[3] == size[1]
            ? m
            : nn.functional.interpolate(m, size, mode: InterpolationMode.Bilinear, align_corners: false)).ToArray(), 1); // [N, ΣDₛ, h, w]
        return (embed.call(fused).MoveToOuterDisposeScope(), Encoder.Pool(maps[^1]).MoveToOuterDisposeScope());
    }

    /// <summary>Pointer logits [B, Nr, Nt] = fᵢ·f_j / T of reference embeddings [B, E, h, w] and target embeddings [B, E, h', w'].</summary>
    public static Tensor PointerLogits(Tensor reference, Tensor target, double temperature)
    {
        using var scope = NewDisposeScope();
        var r = reference.flatten(2);                                                    // [B, E, Nr]
        var t = target.flatten(2);                                                       // [B, E, Nt]
        return r.transpose(1, 2).bmm(t).div_(temperature).MoveToOuterDisposeScope();   // [B, Nr, Nt]
    }

    /// <summary>Σᵢ A_ij vᵢ [B, V, Nt] of values [B, V, Nr] with the pointer A = softmax over i of <paramref name="logits"/> [B, Nr, Nt].</summary>
    public static Tensor Propagate(Tensor logits, Tensor values)
    {
        using var scope = NewDisposeScope();
        return values.bmm(logits.softmax(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The mean cross-entropy −log Σᵢ A_ij [cᵢ = y_j] of the copied one-hot distributions against the target clusters,
    /// from pointer logits [B, Nr, Nt], reference clusters [B, Nr] and target clusters [B, Nt] (int64), as log-sum-exps
    /// over the matching and over all reference positions. Target positions whose cluster the reference lacks cannot be
    /// copied and are left out (0 when none is left).
    /// </summary>
    public static Tensor PointerLoss(Tensor logits, Tensor referenceClusters, Tensor targetClusters)
    {
        using var scope = NewDisposeScope();
        var match = referenceClusters.unsqueeze(2).eq(targetClusters.unsqueeze(1));     // [B, Nr, Nt]
        var copyable = match.any(1);                                                     // [B, Nt]
        match = match.logical_or(copyable.logical_not().unsqueeze(1));                   // every column has a finite term
        var all = logits.logsumexp(1);                                                   // [B, Nt]
        var hit = logits.masked_fill(match.logical_not(), double.NegativeInfinity).logsumexp(1);
        var nll = all.sub(hit).masked_fill(copyable.logical_not(), 0);
        return nll.sum().div(copyable.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Colours [N, c, H, W] of Lab images [N, 3, H, W]: ab, or L for gray runs.</summary>
    public Tensor Colours(Tensor lab) => IsGray ? lab.narrow(1, 0, 1) : lab.narrow(1, 1, 2);

    /// <summary>The nearest cluster [N, h, w] (int64) of colours [N, c, h, w].</summary>
    public Tensor Assign(Tensor colours)
    {
        using var scope = NewDisposeScope();
        var rows = colours.permute(0, 2, 3, 1).reshape(-1, colours.shape[1]);           // [N·h·w, c]
        var (_, index) = KMeans.Nearest(rows, centroids.to(rows.dtype));
        return index.view(colours.shape[0], colours.shape[2], colours.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>What one pass over a clip gives, for frames 1…T against frame 0 (rows t·B + b ↔ clip b, target t): pointer logits, clusters and colours at the pointer's resolution, and the pooled embeddings of every frame.</summary>
    sealed record Pass(Tensor Logits, Tensor ReferenceClusters, Tensor TargetClusters, Tensor ReferenceColours, Tensor TargetColours, Tensor Embedding, long Height, long Width);

    /// <summary>Every frame [B, C, H, W] (normalised, frame 0 the reference) through the encoder in one batch; tensors in the caller's scope.</summary>
    Pass Forward(Tensor[] frames)
    {
        if (frames.Length < 2) throw new ArgumentException($"video-colorization: a clip needs a reference and at least one later frame, got {frames.Length} frames");
        var b = frames[0].shape[0];
        var later = frames.Length - 1;
        Tensor lab;
        using (no_grad()) lab = LightnessEncoder.Lab(cat(frames, 0), Stats);            // [(1+T)B, 3, H, W]
        var (map, embedding) = Embed(lab);                                               // [(1+T)B, E, h, w], [(1+T)B, D]
        var (h, w) = (map.shape[2], map.shape[3]);
        Tensor colours, clusters;
        using (no_grad())
        {
            colours = nn.functional.adaptive_avg_pool2d(Colours(lab), [h, w]);            // [(1+T)B, c, h, w]
            if (!ClustersFitted) FitClusters(colours.narrow(0, 0, b), seed: 0);
            clusters = Assign(colours).flatten(1);                                       // [(1+T)B, h·w]
        }
        var reference = map.narrow(0, 0, b).repeat(later, 1, 1, 1);                      // [T·B, E, h, w]
        var logits = PointerLogits(reference, map.narrow(0, b, later * b), Options.Temperature); // [T·B, Nr, Nt]
        var flatColours = colours.flatten(2);                                            // [(1+T)B, c, h·w]
        return new Pass(logits,
            clusters.narrow(0, 0, b).repeat(later, 1), clusters.narrow(0, b, later * b),
            flatColours.narrow(0, 0, b).repeat(later, 1, 1), flatColours.narrow(0, b, later * b),
            embedding, h, w);
    }

    /// <summary>The cluster [B, Nt] of the copied distribution Σᵢ A_ij onehot(cᵢ) at every target position.</summary>
    Tensor PredictedClusters(Pass pass)
    {
        using var scope = NewDisposeScope();
        var onehot = nn.functional.one_hot(pass.ReferenceClusters, Options.Clusters).transpose(1, 2).to(pass.Logits.dtype); // [B, K, Nr]
        return Propagate(pass.Logits, onehot).argmax(1).MoveToOuterDisposeScope();      // [B, Nt]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var pass = Forward(batch.Views);
        using var predicted = PredictedClusters(pass with { Logits = pass.Logits.detach() });
        return new StepResult(PointerLoss(pass.Logits, pass.ReferenceClusters, pass.TargetClusters), new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(pass.Embedding.detach()),
            ["pretext_accuracy"] = predicted.eq(pass.TargetClusters).to(ScalarType.Float32).mean(),
            ["copy_accuracy"] = pass.ReferenceClusters.eq(pass.TargetClusters).to(ScalarType.Float32).mean(),
        });
    }

    /// <summary>Fits the colour clusters once, on up to <see cref="VideoColorizationOptions.KMeansImages"/> training images spread over the set, their colours averaged to the pointer's resolution.</summary>
    public override void BeforeEpoch(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ClustersFitted) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var mode = new TrainingModeSnapshot(this);
        eval();
        // Images spread over the set (TrainingLab): one stored class by class would give its first classes' colours only.
        var parts = new List<Tensor>();
        TrainingLab.ForEachChunk(context, Stats, Options.KMeansImages, centroids.device, lab =>
        {
            var (map, _) = Embed(lab.narrow(0, 0, 1));
            parts.Add(nn.functional.adaptive_avg_pool2d(Colours(lab), [map.shape[2], map.shape[3]]).MoveToOuterDisposeScope());
        });
        FitClusters(cat(parts, 0), context.Seed);
    }

    /// <summary>k-means++ and Lloyd (<see cref="KMeans"/>) on colours [N, c, h, w]; sets the centres and the cluster counts.</summary>
    void FitClusters(Tensor colours, long seed)
    {
        using var scope = NewDisposeScope();
        var rows = colours.permute(0, 2, 3, 1).reshape(-1, colours.shape[1]);           // [N·h·w, c]
        if (rows.shape[0] < Options.Clusters)
            throw new ArgumentException($"video-colorization.clusters: {Options.Clusters} clusters need at least as many colour samples, got {rows.shape[0]}");
        using var fit = KMeans.Fit(rows, Options.Clusters, new KMeansOptions { Restarts = 3, MaxIterations = 100, Seed = (int)seed });
        centroids.copy_(fit.Centroids);
        using var assigned = tensor(fit.Assignments);
        cluster_counts.copy_(bincount(assigned, minlength: Options.Clusters).to(cluster_counts.dtype));
    }

    public string PretextMetric => "propagated colour-cluster accuracy";

    /// <summary>
    /// A constant guess of the most common colour cluster: its share of the clustered training positions (1/K before
    /// fitting). The stronger baseline, copying the colour at the same position, is <see cref="ExtraScoreNames"/>' copy_accuracy.
    /// </summary>
    public double PretextChance
    {
        get
        {
            var total = cluster_counts.sum().item<float>();
            return total > 0 ? cluster_counts.max().item<float>() / total : 1.0 / Options.Clusters;
        }
    }

    /// <summary>Clusters propagated right over every target position of clips made from <paramref name="images"/> with <paramref name="generator"/>.</summary>
    public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        var pass = Forward(Clips.Apply(images, generator));
        return (PredictedClusters(pass).eq(pass.TargetClusters).sum().item<long>(), pass.TargetClusters.numel());
    }

    /// <summary>
    /// copy_accuracy: percent of target positions whose cluster equals the reference's at the same position;
    /// propagated_{ab|L}_error and copy_{ab|L}_error: mean L2 distance in Lab units, at the pointer's resolution, between
    /// the true colour and Σᵢ A_ij cᵢ of the reference's colours, or the reference's colour at the same position.
    /// </summary>
    public IReadOnlyList<string> ExtraScoreNames => IsGray
        ? ["copy_accuracy", "propagated_L_error", "copy_L_error"]
        : ["copy_accuracy", "propagated_ab_error", "copy_ab_error"];

    public (double Sum, long Count)[] ExtraScores(Tensor images, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        var pass = Forward(Clips.Apply(images, generator));
        var n = pass.TargetClusters.numel();
        var copied = pass.ReferenceClusters.eq(pass.TargetClusters).sum().item<long>();
        var propagated = Propagate(pass.Logits, pass.ReferenceColours);                 // [T·B, c, Nt]
        var propagatedError = (propagated - pass.TargetColours).square().sum(1).sqrt().sum().item<float>();
        var copyError = (pass.ReferenceColours - pass.TargetColours).square().sum(1).sqrt().sum().item<float>();
        return [(100.0 * copied, n), (propagatedError, n), (copyError, n)];
    }

    public IReadOnlyList<string> PictureColumns => ["reference", "gray target", "propagated", "copy same position", "target"];

    /// <summary>
    /// Of a clip of each image, the reference frame (colour) | the last frame in gray | its L with the colours the
    /// pointer propagates from the reference (at the pointer's resolution, upsampled bilinearly) | its L with the
    /// reference's colour at the same pixel | the last frame itself. Gray runs copy L: their columns show it.
    /// </summary>
    public Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        var frames = Clips.Apply(images, generator);
        var (reference, target) = (frames[0], frames[^1]);
        var pass = Forward([reference, target]);
        var size = new[] { target.shape[2], target.shape[3] };
        var propagated = Propagate(pass.Logits, pass.ReferenceColours).view(target.shape[0], ColourChannels, pass.Height, pass.Width);
        var upsampled = nn.functional.interpolate(propagated, size, mode: InterpolationMode.Bilinear, align_corners: false); // [B, c, H, W]
        var targetLab = LightnessEncoder.Lab(target, Stats);
        var referenceColours = Colours(LightnessEncoder.Lab(reference, Stats));
        var channels = images.shape[1];
        Tensor[] columns =
        [
            reference.clone(),
            LightnessEncoder.ModelInputOf(WithColours(targetLab, zeros_like(referenceColours), keepLightness: true), Stats, channels),
            LightnessEncoder.ModelInputOf(WithColours(targetLab, upsampled, keepLightness: !IsGray), Stats, channels),
            LightnessEncoder.ModelInputOf(WithColours(targetLab, referenceColours, keepLightness: !IsGray), Stats, channels),
            target.clone(),
        ];
        return columns.Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>
    /// Lab [B, 3, H, W] of a frame's Lab with its colour replaced: ab replaced (RGB runs), or, for gray runs, L replaced
    /// by the given L with ab 0; with <paramref name="keepLightness"/> on a gray run the frame's own L with ab 0.
    /// </summary>
    Tensor WithColours(Tensor lab, Tensor colours, bool keepLightness)
    {
        var l = lab.narrow(1, 0, 1);
        if (!IsGray) return cat([l, colours], 1);
        var ab = zeros_like(lab.narrow(1, 1, 2));
        return cat([keepLightness ? l : colours, ab], 1);
    }

    /// <summary>Channels of the pointer's fused map, from one blank L frame in eval mode; a token encoder, or too few stages, is refused.</summary>
    int PointerChannels(Encoder encoder, int imageSize)
    {
        using var mode = new TrainingModeSnapshot(encoder);
        encoder.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var blank = zeros(1, 1, imageSize, imageSize);
        var maps = encoder is IStageFeatures staged ? staged.ForwardStages(blank) : [encoder.ForwardFeatures(blank)];
        if (maps[^1].dim() != 4)
            throw new ArgumentException($"video-colorization: the encoder must give a feature map [B, D, h, w] for its pointer, {encoder.GetName()} gives [{string.Join(", ", maps[^1].shape)}]; use a ResNet or ConvNet");
        if (stages > maps.Length)
            throw new ArgumentException($"video-colorization.pointer_stages: expected at most {maps.Length} (the stages of {encoder.GetName()}), got {stages}");
        return checked((int)maps[^stages..].Sum(m => m.shape[1]));
    }
}
