using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// MoCo v2 hyperparameters (He et al. 2020, "Momentum Contrast for Unsupervised Visual Representation Learning";
/// Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning"; facebookresearch/moco main_moco.py
/// with <c>--mlp --moco-t 0.2 --aug-plus --cos</c>).
/// </summary>
public sealed record MocoV2Options
{
    /// <summary>K, the keys in the queue of negatives (paper: 65,536; sized here for CIFAR-scale data and small batches).</summary>
    public int QueueSize { get; init; } = 4096;
    /// <summary>m of the key encoder's moving average, constant over the run (paper: 0.999).</summary>
    public double Momentum { get; init; } = 0.999;
    /// <summary>τ of InfoNCE (v2: 0.2; v1: 0.07).</summary>
    public double Temperature { get; init; } = 0.2;
    /// <summary>Hidden width of the projection MLP; 0: the encoder's width (paper: 2048 on ResNet-50).</summary>
    public int ProjectionHiddenDim { get; init; }
    /// <summary>Output width of the projection, where keys and queries are compared (paper: 128).</summary>
    public int ProjectionDim { get; init; } = 128;
    /// <summary>
    /// Rows per BatchNorm sub-batch for the shuffled-BN stand-in (<see cref="ShuffledBatchNorm"/>); the paper's 8 GPUs
    /// see 32 images each. 0: one BatchNorm over the whole batch, no shuffling.
    /// </summary>
    public int ShuffleBnSubBatch { get; init; } = 32;
    /// <summary>Blur probability of both views (aug-plus: 0.5).</summary>
    public double BlurP { get; init; } = 0.5;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (aug-plus: 0.2).</summary>
    public double CropMinScale { get; init; } = 0.2;
}

/// <summary>
/// MoCo v2: a query encoder (encoder + MLP projection) and a key encoder, its moving average with momentum m =
/// 0.999 that gets no gradient. Each image gives a query view and a key view; the query's positive is its own key,
/// its negatives the K keys of earlier batches kept in a queue (<see cref="FeatureQueue"/>), so the number of
/// negatives does not depend on the batch size. Loss: InfoNCE at τ = 0.2 over L2-normalised projections
/// (<see cref="InfoNceLoss"/> with a queue and no batch negatives); the batch's keys are then enqueued and the oldest
/// dequeued. BatchNorm runs over sub-batches, the keys shuffled (<see cref="ShuffledBatchNorm"/>). The key encoder
/// is in training mode and keeps its own BatchNorm statistics, as in the reference, where the update averages
/// parameters only. The queue and its pointer are buffers, so checkpoints keep them.
/// </summary>
public sealed class MocoV2 : SslMethod
{
    /// <summary>MoCo v2's shuffled BatchNorm is its stand-in for per-GPU BatchNorm: SyncBN would merge its sub-batches across ranks.</summary>
    public override string? DataParallelProblem(bool syncBatchNorm) => syncBatchNorm
        ? "moco-v2: its BatchNorm runs over shuffled sub-batches (the paper's per-GPU BatchNorm), which SyncBN would merge across ranks; run it with --sync-batchnorm false"
        : null;


    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly MomentumTeacher<Encoder> key_encoder;
    readonly MomentumTeacher<MlpHead> key_projector;
    readonly FeatureQueue queue;

    public MocoV2(Encoder encoder, Func<Encoder> createEncoder, MocoV2Options options) : base(nameof(MocoV2), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        var hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        projector = MlpHead.MocoV2(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        key_encoder = MomentumTeacher.Create(encoder, createEncoder, TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        key_projector = MomentumTeacher.Create(projector, () => MlpHead.MocoV2(encoder.EmbeddingDim, hidden, options.ProjectionDim),
            TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        // MoCo starts from random unit keys: the first steps contrast against noise until real keys replace them.
        queue = new FeatureQueue(options.QueueSize, options.ProjectionDim, randomInit: true);
        RegisterComponents();
    }

    public MocoV2Options Options { get; }

    public MlpHead Projector => projector;

    /// <summary>The key encoder, a moving average of <see cref="SslMethod.Encoder"/>.</summary>
    public Encoder KeyEncoder => key_encoder.Module;

    /// <summary>The queue of negative keys (K × projection width).</summary>
    public FeatureQueue Queue => queue;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "moco-v2", "contrastive",
        "He et al. 2020, Momentum Contrast for Unsupervised Visual Representation Learning (arXiv:1911.05722); Chen et al. 2020, Improved Baselines with Momentum Contrastive Learning (arXiv:2003.04297)",
        "query encoder vs a momentum key encoder; InfoNCE against a queue of K earlier keys, so negatives do not depend on the batch size",
        new Recipe
        {
            Source = "facebookresearch/moco main_moco.py, MoCo v2 (--mlp --moco-t 0.2 --aug-plus --cos): SGD momentum 0.9, lr 0.03 × B/256, weight decay 1e-4, cosine, no warm-up",
            Optimizer = OptimizerKind.Sgd, BaseLearningRate = 0.03, Scaling = LrScaling.Linear, WeightDecay = 1e-4, WarmupEpochs = 0,
        },
        new MocoV2Options(),
        (ctx, o) => new MocoV2(ctx.Encoder, ctx.CreateEncoder, o),
        (ctx, o) => new TwoViews(
            ViewPipeline.MocoV2(ctx.ImageSize, ctx.Channels, ctx.Stats, o.BlurP, o.CropMinScale),
            ViewPipeline.MocoV2(ctx.ImageSize, ctx.Channels, ctx.Stats, o.BlurP, o.CropMinScale)));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"MoCo v2 expects 2 views (query, key), got {batch.Views.Length}");
        var (queryView, keyView) = (batch.Views[0], batch.Views[1]);
        var h = ShuffledBatchNorm.Forward(encoder.forward, queryView, Options.ShuffleBnSubBatch); // [B, D]
        var q = projector.forward(h);                                                             // [B, P]
        var k = Keys(keyView, context.Step);                                                      // [B, P], no gradient
        using var negatives = queue.Features;                                                     // [K, P]
        var (logits, targets) = InfoNceLoss.Logits(q, k, Options.Temperature, negatives, batchNegatives: false);
        var loss = nn.functional.cross_entropy(logits, targets);
        queue.Enqueue(context.Collectives.AllGather(nn.functional.normalize(k, dim: 1))); // every rank's keys: one queue on all ranks
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()),
            ["contrastive_top1"] = logits.detach().argmax(1).eq(targets).to(ScalarType.Float32).mean(),
        });
    }

    /// <summary>The key encoder's projections of <paramref name="keyView"/> [B, C, H, W], without gradient: [B, P].</summary>
    public Tensor Keys(Tensor keyView, long step)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var shuffle = Options.ShuffleBnSubBatch > 0 ? ShuffledBatchNorm.PermutationForStep(step, keyView.shape[0], keyView.device) : null;
        var k = ShuffledBatchNorm.Forward(x => key_projector.Module.forward(key_encoder.Module.forward(x)), keyView, Options.ShuffleBnSubBatch, shuffle);
        return k.MoveToOuterDisposeScope();
    }

    /// <summary>Key encoder ← m · key encoder + (1 − m) · query encoder, for the encoder and the projection.</summary>
    public override void AfterOptimizerStep(StepContext context)
    {
        key_encoder.Update(encoder, Options.Momentum);
        key_projector.Update(projector, Options.Momentum);
    }

    static void Validate(MocoV2Options o)
    {
        if (o.QueueSize < 1) throw new ArgumentException($"moco-v2: queue_size must be ≥ 1, got {o.QueueSize}");
        if (!(o.Momentum >= 0 && o.Momentum <= 1)) throw new ArgumentException($"moco-v2: momentum must be in [0, 1], got {o.Momentum}");
        if (!(o.Temperature > 0)) throw new ArgumentException($"moco-v2: temperature must be > 0, got {o.Temperature}");
        if (o.ProjectionHiddenDim < 0) throw new ArgumentException($"moco-v2: projection_hidden_dim must be ≥ 0 (0: the encoder's width), got {o.ProjectionHiddenDim}");
        if (o.ProjectionDim < 1) throw new ArgumentException($"moco-v2: projection_dim must be ≥ 1, got {o.ProjectionDim}");
        if (o.ShuffleBnSubBatch < 0) throw new ArgumentException($"moco-v2: shuffle_bn_sub_batch must be ≥ 0 (0: off), got {o.ShuffleBnSubBatch}");
        if (!(o.BlurP >= 0 && o.BlurP <= 1)) throw new ArgumentException($"moco-v2: blur_p must be in [0, 1], got {o.BlurP}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"moco-v2: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
