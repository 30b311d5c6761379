using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Heads;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// I-JEPA hyperparameters (Assran et al. 2023, "Self-Supervised Learning from Images with a Joint-Embedding
/// Predictive Architecture"). Defaults are the paper's; on a CPU pass a smaller predictor (e.g.
/// <c>--set predictor_dim=64 --set predictor_depth=2 --set predictor_heads=4</c>). The paper trains with AdamW,
/// lr 1e-3 after a 15-epoch warm-up, weight decay 0.04 → 0.4.
/// </summary>
public sealed record IjepaOptions
{
    /// <summary>Predictor token width (paper: 384, narrower than the encoder, §4).</summary>
    public int PredictorDim { get; init; } = 384;
    /// <summary>Predictor transformer blocks (paper: 12 for ViT-H; deeper predictors help, Table 8).</summary>
    public int PredictorDepth { get; init; } = 12;
    /// <summary>Predictor attention heads (the reference code reuses the encoder's head count; 12 for width 384).</summary>
    public int PredictorHeads { get; init; } = 12;
    /// <summary>Target blocks per image (paper: 4).</summary>
    public int Targets { get; init; } = 4;
    /// <summary>Smallest area of a target block as a fraction of the image (paper: 0.15).</summary>
    public double TargetScaleMin { get; init; } = 0.15;
    /// <summary>Largest area of a target block (paper: 0.2).</summary>
    public double TargetScaleMax { get; init; } = 0.2;
    /// <summary>Smallest height/width ratio of a target block (paper: 0.75).</summary>
    public double TargetAspectMin { get; init; } = 0.75;
    /// <summary>Largest height/width ratio of a target block (paper: 1.5).</summary>
    public double TargetAspectMax { get; init; } = 1.5;
    /// <summary>Smallest area of the (square) context block before the targets are removed from it (paper: 0.85).</summary>
    public double ContextScaleMin { get; init; } = 0.85;
    /// <summary>Largest area of the context block (paper: 1.0).</summary>
    public double ContextScaleMax { get; init; } = 1.0;
    /// <summary>Target-encoder EMA momentum at the first step (paper: 0.996).</summary>
    public double MomentumStart { get; init; } = 0.996;
    /// <summary>Momentum at the end of training, reached linearly (paper: 1.0).</summary>
    public double MomentumEnd { get; init; } = 1.0;
    /// <summary>Smallest crop area of the view's random resized crop; I-JEPA's only augmentation (reference code: 0.3, no flip).</summary>
    public double CropMinScale { get; init; } = 0.3;
    /// <summary>
    /// Regression loss in embedding space: smooth L1 (β = 1), as the official training code computes it, or mse, the
    /// paper's written L2 distance.
    /// </summary>
    public JepaLoss Loss { get; init; } = JepaLoss.SmoothL1;
    /// <summary>Fewest context tokens a sample may keep; the mask sampler re-places and relaxes until it does (reference configs: min_keep 10).</summary>
    public int MinContextTokens { get; init; } = 10;
}

/// <summary>I-JEPA's regression loss between predicted and target embeddings.</summary>
public enum JepaLoss
{
    /// <summary>Smooth L1 with β = 1 (facebookresearch/ijepa's train.py): ½d² for |d| &lt; 1, |d| − ½ beyond.</summary>
    SmoothL1,
    /// <summary>Mean squared error (the paper's equation).</summary>
    Mse,
}

/// <summary>What one I-JEPA forward pass produces; every tensor belongs to the caller.</summary>
/// <param name="Prediction">Predicted embeddings at the target tokens, [B·M, N, D] (sample-major, then target block).</param>
/// <param name="Target">The target encoder's layer-normalised embeddings at the same tokens, [B·M, N, D], no gradient.</param>
/// <param name="ContextIndices">Token indices the context encoder saw, int64 [B, K].</param>
/// <param name="TargetIndices">Token indices of each target block, int64 [B·M, N].</param>
/// <param name="Context">The context encoder's output, [B, K, D] (I-JEPA's ViT has no CLS token).</param>
public sealed record IjepaForward(Tensor Prediction, Tensor Target, Tensor ContextIndices, Tensor TargetIndices, Tensor Context) : IDisposable
{
    public void Dispose()
    {
        Prediction.Dispose();
        Target.Dispose();
        ContextIndices.Dispose();
        TargetIndices.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// I-JEPA: from one image, a context encoder (the ViT) sees one large block of patches with M target blocks cut
/// out; a narrow predictor, given the context tokens and the targets' positions, predicts the target encoder's
/// layer-normalised embeddings of those blocks (computed on the full image); the loss is smooth L1 (or the mean
/// squared error, <see cref="IjepaOptions.Loss"/>) in embedding space. The target encoder is an EMA of the context encoder (<see cref="MomentumTeacher{TModule}"/>).
/// Nothing is reconstructed in pixel space. As in the paper, the ViT has no CLS token and its representation is the
/// mean of its patch tokens: a ViT name gets the <c>/nocls</c> variant (<see cref="MethodInfo.EncoderName"/>).
/// Per-sample masks keep different token counts; as in the reference collator, every sample's context (and target)
/// index list is truncated to the batch's smallest count, keeping the first indices in row-major order.
/// </summary>
public sealed class Ijepa : SslMethod
{
    readonly Vit encoder;
    readonly MomentumTeacher<Vit> target_encoder;
    readonly JepaPredictor predictor;

    public Ijepa(Encoder encoder, IjepaOptions options) : base(nameof(Ijepa), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.encoder = encoder as Vit
            ?? throw new ArgumentException($"ijepa: the encoder must be a ViT (vit-tiny, vit-small, vit-base), got {encoder.GetName()}");
        if (this.encoder.Options.ClassToken)
            throw new ArgumentException("ijepa: the ViT must have no CLS token (I-JEPA's ViT is mean-pooled); use an encoder name with /nocls");
        Validate(options);
        Options = options;
        // The reference encoder's fix_init_weight, as its predictor's.
        TransformerBlock.ScaleByDepth(this.encoder.modules().OfType<TransformerBlock>());
        predictor = new JepaPredictor(this.encoder.EmbeddingDim, options.PredictorDim, options.PredictorDepth, options.PredictorHeads, this.encoder.GridSize);
        // Same architecture without stochastic depth, then the student's weights; never trained by gradients.
        var teacherOptions = this.encoder.Options with { DropPath = 0 };
        target_encoder = MomentumTeacher.Create(this.encoder, () => new Vit(teacherOptions));
        RegisterComponents();
    }

    public IjepaOptions Options { get; }

    /// <summary>The EMA copy of the encoder that produces the regression targets.</summary>
    public Vit TargetEncoder => target_encoder.Module;

    public JepaPredictor Predictor => predictor;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "ijepa", "masked image modelling",
        "Assran et al. 2023, Self-Supervised Learning from Images with a Joint-Embedding Predictive Architecture (arXiv:2301.08243)",
        "ViT sees a context block, a narrow predictor regresses the EMA target encoder's embeddings of 4 target blocks",
        new Recipe
        {
            Source = "Assran et al. 2023, appendix C and facebookresearch/ijepa configs: AdamW, lr 1e-3 (not batch-scaled), 15 warm-up epochs, weight decay 0.04 → 0.4 on a cosine",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 1e-3, WeightDecay = 0.04, WeightDecayEnd = 0.4, WarmupEpochs = 15,
        },
        new IjepaOptions(),
        (ctx, o) => new Ijepa(ctx.Encoder, o),
        (ctx, o) => new MaeViews(new ViewPipeline([new RandomResizedCrop(ctx.ImageSize, (o.CropMinScale, 1.0))], ctx.Stats))) with
    {
        EncoderName = name => VitNames.IsVitEncoder(name) && !name.Contains("/nocls", StringComparison.OrdinalIgnoreCase) ? name + "/nocls" : name,
    };

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        using var f = Forward(batch.SingleView("I-JEPA"), generator: null);
        var loss = Loss(f.Prediction, f.Target, Options.Loss);
        var scalars = new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(f.Context.detach().flatten(0, 1)), // over patch tokens [B·K, D]
            ["context_tokens"] = tensor((float)f.ContextIndices.shape[1]),
            ["target_tokens"] = tensor((float)f.TargetIndices.shape[1]),
        };
        return new StepResult(loss, scalars);
    }

    /// <summary>
    /// Draws multi-block masks for <paramref name="x"/> [B, C, H, W] (from <paramref name="generator"/>; null: the
    /// global one), encodes the context tokens, computes the targets without gradient and predicts them.
    /// </summary>
    public IjepaForward Forward(Tensor x, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var g = encoder.GridSize;
        var m = Options.Targets;
        using var masks = Masking.MultiBlock(x.shape[0], g, g, generator, x.device, m,
            (Options.TargetScaleMin, Options.TargetScaleMax), (Options.TargetAspectMin, Options.TargetAspectMax),
            (Options.ContextScaleMin, Options.ContextScaleMax), Math.Min(Options.MinContextTokens, g * g));
        var contextIdx = TruncatedIndices(masks.Context, "context");                     // [B, K]
        var targetIdx = TruncatedIndices(masks.Targets.flatten(0, 1), "target");         // [B·M, N]
        var target = Targets(x, targetIdx, m);                                           // [B·M, N, D]
        var context = encoder.ForwardVisible(x, contextIdx);                             // [B, K, D]
        var prediction = predictor.Forward(context.repeat_interleave(m, 0), contextIdx.repeat_interleave(m, 0), targetIdx); // [B·M, N, D]
        return new IjepaForward(prediction.MoveToOuterDisposeScope(), target.MoveToOuterDisposeScope(),
            contextIdx.MoveToOuterDisposeScope(), targetIdx.MoveToOuterDisposeScope(), context.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The target encoder's embeddings of the full image, layer-normalised over D without affine parameters (as
    /// the reference code does), at <paramref name="targetIndices"/> [B·M, N] → [B·M, N, D], without gradient.
    /// </summary>
    public Tensor Targets(Tensor x, Tensor targetIndices, int blocks)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var h = target_encoder.Module.ForwardFeatures(x);                                 // [B, T, D]
        var d = h.shape[2];
        h = nn.functional.layer_norm(h, [d]);
        var patches = h.repeat_interleave(blocks, 0);                                     // [B·M, T, D]
        var index = targetIndices.unsqueeze(-1).expand(-1, -1, d);                        // [B·M, N, D]
        return patches.gather(1, index).MoveToOuterDisposeScope();
    }

    /// <summary>The regression loss in embedding space, averaged over target blocks, tokens and dimensions.</summary>
    public static Tensor Loss(Tensor prediction, Tensor target, JepaLoss kind = JepaLoss.SmoothL1)
    {
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"I-JEPA loss: prediction [{string.Join(", ", prediction.shape)}] and target [{string.Join(", ", target.shape)}] must have the same shape");
        return kind == JepaLoss.Mse
            ? nn.functional.mse_loss(prediction, target)
            : nn.functional.smooth_l1_loss(prediction, target, beta: 1.0);
    }

    /// <summary>The EMA momentum at 0-based <paramref name="step"/>: linear from start to end over <paramref name="totalSteps"/>.</summary>
    public double Momentum(long step, long totalSteps)
    {
        if (totalSteps <= 0) return Options.MomentumEnd;
        var t = Math.Clamp((double)step / totalSteps, 0, 1);
        return Options.MomentumStart + (Options.MomentumEnd - Options.MomentumStart) * t;
    }

    /// <summary>Target ← m · target + (1 − m) · encoder, parameter by parameter.</summary>
    public override void AfterOptimizerStep(StepContext context) =>
        target_encoder.Update(encoder, Momentum(context.Step, context.TotalSteps));

    /// <summary>
    /// Token indices where <paramref name="mask"/> [R, T] (bool) is set, in row-major order, each row cut to the
    /// smallest count over rows: int64 [R, min count].
    /// </summary>
    public static Tensor TruncatedIndices(Tensor mask, string what)
    {
        using var scope = NewDisposeScope();
        var t = mask.shape[1];
        var keep = mask.sum([1]).min().item<long>();
        if (keep < 1) throw new InvalidOperationException($"I-JEPA masks: a sample has no {what} token left (targets cover the whole context block)");
        var key = (mask.logical_not().to(ScalarType.Int64) * t) + arange(t, dtype: ScalarType.Int64, device: mask.device); // [R, T]: set tokens first
        var order = key.argsort(1);                                                       // [R, T]
        return order.narrow(1, 0, keep).MoveToOuterDisposeScope();                        // [R, K]
    }

    static void Validate(IjepaOptions o)
    {
        if (o.Targets < 1) throw new ArgumentException($"ijepa: targets must be ≥ 1, got {o.Targets}");
        if (!(o.TargetScaleMin > 0 && o.TargetScaleMin <= o.TargetScaleMax && o.TargetScaleMax <= 1))
            throw new ArgumentException($"ijepa: target scale must satisfy 0 < min ≤ max ≤ 1, got ({o.TargetScaleMin}, {o.TargetScaleMax})");
        if (!(o.TargetAspectMin > 0 && o.TargetAspectMin <= o.TargetAspectMax))
            throw new ArgumentException($"ijepa: target aspect must satisfy 0 < min ≤ max, got ({o.TargetAspectMin}, {o.TargetAspectMax})");
        if (!(o.ContextScaleMin > 0 && o.ContextScaleMin <= o.ContextScaleMax && o.ContextScaleMax <= 1))
            throw new ArgumentException($"ijepa: context scale must satisfy 0 < min ≤ max ≤ 1, got ({o.ContextScaleMin}, {o.ContextScaleMax})");
        if (!(o.MomentumStart >= 0 && o.MomentumStart <= 1 && o.MomentumEnd >= 0 && o.MomentumEnd <= 1))
            throw new ArgumentException($"ijepa: momentum must be in [0, 1], got {o.MomentumStart} → {o.MomentumEnd}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"ijepa: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
        if (o.MinContextTokens < 1) throw new ArgumentException($"ijepa: min_context_tokens must be ≥ 1, got {o.MinContextTokens}");
    }
}
