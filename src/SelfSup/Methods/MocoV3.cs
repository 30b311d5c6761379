using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// MoCo v3 hyperparameters (Chen et al. 2021, "An Empirical Study of Training Self-Supervised Vision Transformers";
/// facebookresearch/moco-v3 main_moco.py, ViT recipe). Head widths are sized for a CPU; the paper's are given.
/// </summary>
public sealed record MocoV3Options
{
    /// <summary>τ of InfoNCE (paper: 0.2 for ViTs, 1.0 for ResNet-50, which the CNN recipe sets).</summary>
    public double Temperature { get; init; } = 0.2;
    /// <summary>Momentum of the key encoder at the first step, raised to 1 on a cosine (paper: 0.99).</summary>
    public double MomentumStart { get; init; } = 0.99;
    /// <summary>Momentum at the last step (paper: 1).</summary>
    public double MomentumEnd { get; init; } = 1.0;
    /// <summary>Hidden width of projector and predictor; 0: four times the encoder's width (paper: 4096).</summary>
    public int HiddenDim { get; init; }
    /// <summary>Output width of projector and predictor (paper: 256).</summary>
    public int ProjectionDim { get; init; } = 256;
    /// <summary>Linear layers of the projector (paper: 3, and 2 for ResNet-50 in moco-v3's code).</summary>
    public int ProjectorLayers { get; init; } = 3;
    /// <summary>Linear layers of the predictor (paper: 2).</summary>
    public int PredictorLayers { get; init; } = 2;
    /// <summary>Keep a ViT's patch projection at its random init (paper §4.2, stop_grad_conv1); ignored for other encoders.</summary>
    public bool FreezePatchEmbedding { get; init; } = true;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (paper: 0.08).</summary>
    public double CropMinScale { get; init; } = 0.08;
}

/// <summary>
/// MoCo v3: no queue. Both views go through the query encoder (encoder → projector → predictor) and through the
/// key encoder (encoder → projector), a moving average of the query's with momentum 0.99 → 1 on a cosine. Each
/// query's positive is the key of its other view, its negatives the keys of the other images in the batch:
/// L = 2τ · (InfoNCE(q₁, k₂) + InfoNCE(q₂, k₁)) at τ = 0.2 (<see cref="InfoNceLoss"/> with batch negatives), the
/// 2τ factor of the reference code. Views are BYOL's asymmetric ones (blur 1.0 / 0.1, solarize 0 / 0.2). Works with
/// ResNets and ViTs; a ViT's patch projection is frozen at its random init by default.
/// </summary>
public sealed class MocoV3 : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead projector;
    readonly MlpHead predictor;
    readonly MomentumTeacher<Encoder> key_encoder;
    readonly MomentumTeacher<MlpHead> key_projector;

    public MocoV3(Encoder encoder, Func<Encoder> createEncoder, MocoV3Options options) : base(nameof(MocoV3), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        Options = options;
        if (options.FreezePatchEmbedding && encoder is Vit vit) vit.FreezePatchEmbedding();
        var hidden = options.HiddenDim > 0 ? options.HiddenDim : 4 * encoder.EmbeddingDim;
        MlpHead Projector() => MlpHead.MocoV3(encoder.EmbeddingDim, hidden, options.ProjectionDim, options.ProjectorLayers);
        projector = Projector();
        predictor = MlpHead.MocoV3(options.ProjectionDim, hidden, options.ProjectionDim, options.PredictorLayers);
        key_encoder = MomentumTeacher.Create(encoder, createEncoder, TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        key_projector = MomentumTeacher.Create(projector, Projector, TeacherMode.FollowOwner, TeacherBuffers.KeepOwn);
        RegisterComponents();
    }

    public MocoV3Options Options { get; }

    public MlpHead Projector => projector;

    public MlpHead Predictor => predictor;

    /// <summary>The key encoder, a moving average of <see cref="SslMethod.Encoder"/>.</summary>
    public Encoder KeyEncoder => key_encoder.Module;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "moco-v3", "contrastive",
        "Chen et al. 2021, An Empirical Study of Training Self-Supervised Vision Transformers (arXiv:2104.02057)",
        "query encoder + predictor vs a momentum key encoder, symmetric InfoNCE against the other keys in the batch, no queue",
        new Recipe
        {
            Source = "facebookresearch/moco-v3 ViT recipe (Chen et al. 2021, Table 1 and CONFIG.md): AdamW, lr 1.5e-4 × B/256, weight decay 0.1, 40 warm-up epochs, cosine",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 1.5e-4, Scaling = LrScaling.Linear, WeightDecay = 0.1, WarmupEpochs = 40,
        },
        new MocoV3Options(),
        (ctx, o) => new MocoV3(ctx.Encoder, ctx.CreateEncoder, o),
        (ctx, o) => TwoViews.Byol(ctx.ImageSize, ctx.Channels, ctx.Stats, o.CropMinScale)) with
    {
        // The paper trains ResNet-50 apart from its ViTs; the ViT recipe's AdamW at 1.5e-4 and τ 0.2 on a ResNet was
        // below its random-init twin on the PneumoniaMNIST leaderboard (docs/results/investigation-pneumoniamnist-moco-v3.json).
        CnnRecipe = new Recipe
        {
            Source = "facebookresearch/moco-v3 main_moco.py defaults, its ResNet-50 recipe (CONFIG.md, Chen et al. 2021 appendix): LARS (trust 0.001, momentum 0.9), lr 0.6 × B/256, weight decay 1e-6, 10 warm-up epochs, cosine, τ 1.0",
            Optimizer = OptimizerKind.Lars, BaseLearningRate = 0.6, Scaling = LrScaling.Linear, WeightDecay = 1e-6, WarmupEpochs = 10,
            MethodOptions = new Dictionary<string, string> { ["temperature"] = "1.0" },
        },
    };

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"MoCo v3 expects 2 views, got {batch.Views.Length}");
        var (v1, v2) = (batch.Views[0], batch.Views[1]);
        var h1 = encoder.forward(v1);                                   // [B, D]
        var h2 = encoder.forward(v2);                                   // [B, D]
        var q1 = predictor.forward(projector.forward(h1));              // [B, P]
        var q2 = predictor.forward(projector.forward(h2));              // [B, P]
        var (k1, k2) = Keys(v1, v2);                                    // [B, P] each, no gradient
        var loss = Loss(q1, q2, k1, k2, Options.Temperature, context.Collectives);
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(cat([h1, h2], 0).detach()),
            ["moco_momentum"] = tensor((float)SelfDistillation.Momentum(Options.MomentumStart, Options.MomentumEnd, context)),
        });
    }

    /// <summary>
    /// MoCo v3's symmetric loss 2τ · (InfoNCE(q₁, k₂) + InfoNCE(q₂, k₁)), in-batch negatives, [B, P] each; the keys
    /// get no gradient. In data-parallel training the negatives are the keys of every rank (<paramref name="world"/>).
    /// </summary>
    public static Tensor Loss(Tensor q1, Tensor q2, Tensor k1, Tensor k2, double temperature, ICollectives? world = null)
    {
        using var scope = NewDisposeScope();
        using var l12 = InfoNceLoss.Compute(q1, k2.detach(), temperature, world: world);
        using var l21 = InfoNceLoss.Compute(q2, k1.detach(), temperature, world: world);
        return ((l12 + l21) * (2 * temperature)).MoveToOuterDisposeScope();
    }

    /// <summary>The key encoder's projections of both views, without gradient.</summary>
    public (Tensor K1, Tensor K2) Keys(Tensor v1, Tensor v2)
    {
        using var noGrad = no_grad();
        var k1 = key_projector.Module.forward(key_encoder.Module.forward(v1)); // [B, P]
        var k2 = key_projector.Module.forward(key_encoder.Module.forward(v2)); // [B, P]
        return (k1, k2);
    }

    /// <summary>Key encoder ← m · key encoder + (1 − m) · query encoder (encoder and projector), m on a cosine from 0.99 to 1.</summary>
    public override void AfterOptimizerStep(StepContext context)
    {
        var m = SelfDistillation.Momentum(Options.MomentumStart, Options.MomentumEnd, context);
        key_encoder.Update(encoder, m);
        key_projector.Update(projector, m);
    }

    static void Validate(MocoV3Options o)
    {
        if (!(o.Temperature > 0)) throw new ArgumentException($"moco-v3: temperature must be > 0, got {o.Temperature}");
        if (!(o.MomentumStart >= 0 && o.MomentumStart <= 1 && o.MomentumEnd >= 0 && o.MomentumEnd <= 1))
            throw new ArgumentException($"moco-v3: momentum_start and momentum_end must be in [0, 1], got {o.MomentumStart} → {o.MomentumEnd}");
        if (o.HiddenDim < 0) throw new ArgumentException($"moco-v3: hidden_dim must be ≥ 0 (0: four times the encoder's width), got {o.HiddenDim}");
        if (o.ProjectionDim < 1) throw new ArgumentException($"moco-v3: projection_dim must be ≥ 1, got {o.ProjectionDim}");
        if (o.ProjectorLayers < 1) throw new ArgumentException($"moco-v3: projector_layers must be ≥ 1, got {o.ProjectorLayers}");
        if (o.PredictorLayers < 1) throw new ArgumentException($"moco-v3: predictor_layers must be ≥ 1, got {o.PredictorLayers}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"moco-v3: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
