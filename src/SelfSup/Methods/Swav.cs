using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// SwAV hyperparameters (Caron et al. 2020, "Unsupervised Learning of Visual Features by Contrasting Cluster
/// Assignments"; defaults of facebookresearch/swav main_swav.py and its scripts). The number of prototypes and the
/// crops are sized for a CPU and CIFAR-scale data; the paper's values are given per field. The optimiser recipe is
/// <see cref="Swav.Info"/>'s.
/// </summary>
public sealed record SwavOptions
{
    /// <summary>Hidden width of the projection MLP; 0: the encoder's width (paper: 2048 on ResNet-50's 2048).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Width of the L2-normalised embedding the prototypes score (main_swav.py's feat_dim: 128).</summary>
    public int ProjectionDim { get; init; } = 128;
    /// <summary>
    /// K, the prototypes (paper and solo-learn's CIFAR recipe: 3000). K must exceed <see cref="ProjectionDim"/>: with
    /// fewer prototypes than dimensions, every embedding in the null space of C scores all prototypes equally, so the
    /// codes and the predictions turn uniform together — a collapsed state the loss cannot leave (the first CIFAR-10
    /// attempt with K = 100 &lt; 128 went there in 43 steps). With K &gt; P the prototypes span the embedding space.
    /// </summary>
    public int Prototypes { get; init; } = 3000;
    /// <summary>τ of the student's softmax over prototype scores (paper: 0.1).</summary>
    public double Temperature { get; init; } = 0.1;
    /// <summary>ε, Sinkhorn's entropic regularisation (paper: 0.05; the reference advises 0.03 when training collapses).</summary>
    public double Epsilon { get; init; } = Sinkhorn.DefaultEpsilon;
    /// <summary>Sinkhorn–Knopp iterations (paper: 3).</summary>
    public int SinkhornIterations { get; init; } = Sinkhorn.DefaultIterations;
    /// <summary>
    /// Epochs during which the prototypes get no update (main_swav.py's freeze_prototypes_niters: 313 iterations at
    /// batch 4096, 5005 at batch 256 — one ImageNet epoch either way).
    /// </summary>
    public int FreezePrototypesEpochs { get; init; } = 1;
    /// <summary>
    /// Rows of each global crop's queue of earlier embeddings, scored with the batch before Sinkhorn (the batch-256
    /// script: 3840; 0: no queue). A run that ends before queue_start_epoch never fills it.
    /// </summary>
    public int QueueLength { get; init; } = 3840;
    /// <summary>The epoch from which embeddings are queued (the batch-256 script's epoch_queue_starts: 15); the queue joins Sinkhorn once full.</summary>
    public int QueueStartEpoch { get; init; } = 15;
    /// <summary>Local crops per image besides the 2 global ones (paper: 6); 4 as DINO's CPU default here. 0: the 2 global crops only.</summary>
    public int LocalCrops { get; init; } = 4;
    /// <summary>Smallest area fraction of a global crop (paper: 0.14).</summary>
    public double GlobalScaleMin { get; init; } = 0.14;
    /// <summary>Smallest area fraction of a local crop (paper: 0.05).</summary>
    public double LocalScaleMin { get; init; } = 0.05;
    /// <summary>Largest area fraction of a local crop (paper: 0.14).</summary>
    public double LocalScaleMax { get; init; } = 0.14;
    /// <summary>Side of a local crop in pixels; unset: 96/224 of the image size, a whole number of ViT patches.</summary>
    public int? LocalSize { get; init; }
}

/// <summary>
/// SwAV, swapping assignments between views (Caron et al. 2020): every crop goes through the encoder and a projection
/// MLP (Linear → BN → ReLU → Linear) to an L2-normalised embedding z, scored against K prototypes c_k, a Linear without
/// bias whose rows are rescaled to unit length before every step. The two global crops' scores give codes q by
/// Sinkhorn–Knopp (<see cref="Sinkhorn.Codes"/>, ε 0.05, 3 iterations, no gradient), which spread the batch equally
/// over the prototypes; each crop's code is then predicted from every other crop — global and local — by the
/// cross-entropy with softmax(zᵀC/τ), τ 0.1, averaged over the other crops and then over the two coded crops
/// (<see cref="DinoLoss.MultiView"/>, the same averaging). The prototypes get no update in the first epoch. For small
/// batches each global crop keeps a queue of earlier embeddings (<see cref="FeatureQueue"/>) from
/// <see cref="SwavOptions.QueueStartEpoch"/>: once full, its scores against the current prototypes join the batch's
/// before Sinkhorn and only the batch's codes are kept.
/// </summary>
public sealed class Swav : SslMethod
{
    /// <summary>SwAV's queue (per rank in the reference) and Sinkhorn over queued rows are not wired for several ranks yet.</summary>
    public override string? DataParallelProblem(bool syncBatchNorm) =>
        "swav: its queue and the Sinkhorn codes over queued rows are not synchronised across ranks yet; train it in one process";


    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly Linear prototypes;
    readonly FeatureQueue? queue0;
    readonly FeatureQueue? queue1;

    public Swav(Encoder encoder, SwavOptions options) : base(nameof(Swav), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        Options = options;
        this.encoder = encoder;
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        projector = new MlpHead(MlpHeadOptions.Uniform(encoder.EmbeddingDim, hidden, options.ProjectionDim, 2));
        prototypes = nn.Linear(options.ProjectionDim, options.Prototypes, hasBias: false);
        if (options.QueueLength > 0)
        {
            queue0 = new FeatureQueue(options.QueueLength, options.ProjectionDim);
            queue1 = new FeatureQueue(options.QueueLength, options.ProjectionDim);
        }
        RegisterComponents();
        NormalizePrototypes();
    }

    public SwavOptions Options { get; }

    public MlpHead Projector => projector;

    /// <summary>The prototypes C: a Linear without bias whose K weight rows [K, D] are unit vectors.</summary>
    public Linear Prototypes => prototypes;

    /// <summary>The queues of earlier embeddings of the first and second global crop (empty without a queue).</summary>
    public IReadOnlyList<FeatureQueue> Queues => queue0 is null || queue1 is null ? [] : [queue0, queue1];

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "swav", "clustering",
        "Caron et al. 2020, Unsupervised Learning of Visual Features by Contrasting Cluster Assignments (arXiv:2006.09882)",
        "online codes of 2 global crops by Sinkhorn–Knopp over K prototypes (equal partition), each predicted from every other crop (multi-crop), queue for small batches",
        new Recipe
        {
            Source = "facebookresearch/swav scripts/swav_200ep_bs256_pretrain.sh and main_swav.py: LARS (SGD momentum 0.9 with LARC, trust 0.001), lr 0.6 at batch 256 scaled linearly (the batch-4096 runs use 4.8, i.e. 0.3 × B/256), weight decay 1e-6, 10 warm-up epochs as main_swav.py's default (the batch-256 script has none), cosine (to 0.001 × the peak there, 0 here)",
            Optimizer = OptimizerKind.Lars, BaseLearningRate = 0.6, Scaling = LrScaling.Linear, WeightDecay = 1e-6, WarmupEpochs = 10,
        },
        new SwavOptions(),
        (ctx, o) => new Swav(ctx.Encoder, o),
        (ctx, o) => new MultiCrop(ctx.ImageSize, ctx.Channels, ctx.Stats, MultiCropOptions.Swav with
        {
            LocalCrops = o.LocalCrops,
            GlobalScaleMin = o.GlobalScaleMin,
            LocalScaleMin = o.LocalScaleMin,
            LocalScaleMax = o.LocalScaleMax,
            LocalSize = o.LocalSize,
            LocalSizeMultiple = ctx.Encoder is Vit vit ? vit.PatchSize : 1,
        }));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var views = batch.Views;
        if (views.Length < 2) throw new ArgumentException($"SwAV expects 2 global crops and optional local crops, got {views.Length} view(s)");
        NormalizePrototypes();
        var b = views[0].shape[0];
        var features = CropBatches.Encode(encoder, views);                                  // [V·B, D]
        var z = nn.functional.normalize(projector.forward(features), dim: 1).chunk(views.Length); // V × [B, P]
        var queuing = queue0 is not null && queue1 is not null && context.Epoch >= Options.QueueStartEpoch;
        var queued = queuing && queue0!.IsFull ? new[] { queue0.Features, queue1!.Features } : null; // 2 × [Q, P]
        var (loss, codes) = SwappedPrediction(z, queued, context.Collectives);
        if (queuing)
        {
            queue0!.Enqueue(z[0]);                                                          // after scoring, as the reference
            queue1!.Enqueue(z[1]);
        }
        using var allCodes = cat(codes, 0);                                                 // [2B, K]
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(features.narrow(0, 0, 2 * b).detach()),
            ["code_entropy"] = SelfDistillation.Entropy(allCodes),
            ["code_mean_entropy"] = SelfDistillation.MeanEntropy(allCodes),
            ["queue_used"] = tensor(queued is null ? 0f : 1f),
        });
    }

    /// <summary>
    /// SwAV's loss from the L2-normalised embeddings of every crop (<paramref name="embeddings"/>, V × [B, P], the two
    /// global crops first): scores zᵀC [B, K] per crop; codes [B, K] of the two global crops by Sinkhorn without
    /// gradient — with <paramref name="queued"/> (2 × [Q, P], one per global crop) the queue's scores against the
    /// current prototypes are solved with the batch's and only the batch's codes kept; then the swapped prediction:
    /// each code against softmax(scores/τ) of every other crop (<see cref="DinoLoss.MultiView"/>). Returns the loss
    /// and the two crops' codes.
    /// </summary>
    public (Tensor Loss, Tensor[] Codes) SwappedPrediction(IReadOnlyList<Tensor> embeddings, IReadOnlyList<Tensor>? queued = null, ICollectives? collectives = null)
    {
        if (embeddings.Count < 2) throw new ArgumentException($"SwAV: needs the embeddings of 2 global crops and optional local crops, got {embeddings.Count}", nameof(embeddings));
        if (queued is { Count: not 2 }) throw new ArgumentException($"SwAV: needs one queue per global crop (2), got {queued.Count}", nameof(queued));
        using var scope = NewDisposeScope();
        var scores = embeddings.Select(z => prototypes.forward(z)).ToArray();              // V × [B, K]
        var codes = new Tensor[2];
        using (no_grad())
        {
            for (int i = 0; i < 2; i++)
            {
                var s = scores[i].detach();                                                 // [B, K]
                if (queued is not null) s = cat([prototypes.forward(queued[i]), s], 0);    // [Q + B, K]
                var q = Sinkhorn.Codes(s, Options.Epsilon, Options.SinkhornIterations, collectives); // [Q + B, K]
                codes[i] = q.narrow(0, q.shape[0] - scores[i].shape[0], scores[i].shape[0]); // [B, K]
            }
        }
        var loss = DinoLoss.MultiView(codes, scores, Options.Temperature);
        return (loss.MoveToOuterDisposeScope(), codes.Select(c => c.MoveToOuterDisposeScope()).ToArray());
    }

    /// <summary>Rescales each prototype (row of the weight [K, P]) to unit length, as main_swav.py does before every step.</summary>
    public void NormalizePrototypes()
    {
        using var noGrad = no_grad();
        var w = prototypes.weight!;
        using var unit = nn.functional.normalize(w, dim: 1);                                // [K, P]
        w.copy_(unit);
    }

    /// <summary>main_swav.py's freeze_prototypes_niters: no update of the prototypes during the first <see cref="SwavOptions.FreezePrototypesEpochs"/> epochs.</summary>
    public override void BeforeOptimizerStep(StepContext context)
    {
        if (context.Epoch < Options.FreezePrototypesEpochs) prototypes.weight!.grad = null;
    }

    /// <summary>Keeps the prototypes unit after the step, so checkpoints and evaluation see them as the next step will.</summary>
    public override void AfterOptimizerStep(StepContext context) => NormalizePrototypes();

    /// <summary>
    /// Uniform codes for every image (each code's entropy above <see cref="SelfDistillation.UniformCollapseFraction"/>
    /// of log K) mean every embedding scores the prototypes alike: the collapse the equal-partition constraint exists to prevent.
    /// </summary>
    public override string? OutputCollapse(IReadOnlyDictionary<string, double> scalars)
    {
        var logK = Math.Log(Options.Prototypes);
        return scalars.TryGetValue("code_entropy", out var h) && h > SelfDistillation.UniformCollapseFraction * logK
            ? $"collapse: SwAV's codes are uniform for every image (entropy {h:F3} > {SelfDistillation.UniformCollapseFraction} × log K = {SelfDistillation.UniformCollapseFraction * logK:F3}); every embedding scores the prototypes alike"
            : null;
    }

    static void Validate(SwavOptions o)
    {
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"swav: projection_hidden_dim must be ≥ 0 (0: the encoder's width), got {o.ProjectionHiddenDim}");
        if (o.ProjectionDim < 1) throw new ArgumentException($"swav: projection_dim must be ≥ 1, got {o.ProjectionDim}");
        if (o.Prototypes < 2) throw new ArgumentException($"swav: prototypes must be ≥ 2, got {o.Prototypes}");
        if (!(o.Temperature > 0)) throw new ArgumentException($"swav: temperature must be > 0, got {o.Temperature}");
        if (!(o.Epsilon > 0)) throw new ArgumentException($"swav: epsilon must be > 0, got {o.Epsilon}");
        if (o.SinkhornIterations < 1) throw new ArgumentException($"swav: sinkhorn_iterations must be ≥ 1, got {o.SinkhornIterations}");
        if (o.FreezePrototypesEpochs < 0) throw new ArgumentException($"swav: freeze_prototypes_epochs must be ≥ 0, got {o.FreezePrototypesEpochs}");
        if (o.QueueLength < 0) throw new ArgumentException($"swav: queue_length must be ≥ 0 (0: no queue), got {o.QueueLength}");
        if (o.QueueStartEpoch < 0) throw new ArgumentException($"swav: queue_start_epoch must be ≥ 0, got {o.QueueStartEpoch}");
        if (o.LocalCrops < 0) throw new ArgumentException($"swav: local_crops must be ≥ 0, got {o.LocalCrops}");
    }
}
