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
/// iBOT hyperparameters (Zhou et al. 2022, "iBOT: Image BERT Pre-Training with Online Tokenizer"; defaults of
/// bytedance/ibot's main_ibot.py and its ViT-S/16 command). The head and the crops are sized for a CPU and small
/// images; the paper's values are given per field. The optimiser recipe is <see cref="Ibot.Info"/>'s.
/// </summary>
public sealed record IbotOptions
{
    /// <summary>K of the CLS head (paper: 8192; sized for CPU: the patch loss runs a K-way softmax per token).</summary>
    public int OutDim { get; init; } = 2048;
    /// <summary>K of the patch head when it is separate (<see cref="SharedHead"/> false; paper: 8192); a shared head uses <see cref="OutDim"/>.</summary>
    public int PatchOutDim { get; init; } = 2048;
    /// <summary>
    /// One last layer for CLS and patch tokens (the ViT-S/16 command's shared_head true); false: a separate
    /// weight-normalised last layer for the patch tokens. The MLP and bottleneck are shared either way, as in iBOTHead.
    /// </summary>
    public bool SharedHead { get; init; } = true;
    /// <summary>Hidden width of the head's MLP (paper: 2048).</summary>
    public int HeadHiddenDim { get; init; } = 512;
    /// <summary>Width of the head's L2-normalised bottleneck (paper: 256).</summary>
    public int BottleneckDim { get; init; } = 128;
    /// <summary>Linear layers of the head's MLP (paper: 3).</summary>
    public int HeadLayers { get; init; } = 3;
    /// <summary>
    /// BatchNorm after the head's hidden layers (main_dino.py's use_bn_in_head). Unset: on for convolutional
    /// encoders, off for ViTs (the reference's default). Without it a ResNet-18's head sent every CIFAR-10 image to
    /// nearly one direction, which centring turned into a uniform teacher (docs/methods.md, dino).
    /// </summary>
    public bool? UseBnInHead { get; init; }
    /// <summary>
    /// The head's last layer keeps its weight-norm gain at 1 (norm_last_layer: true, the reference's default); false
    /// learns a gain per output, as the reference's ViT-S/16 command does, so the outputs can sharpen beyond cosines.
    /// </summary>
    public bool NormLastLayer { get; init; } = true;
    /// <summary>τ_s of both the CLS and the patch softmax (paper: 0.1).</summary>
    public double StudentTemp { get; init; } = 0.1;
    /// <summary>CLS τ_t at the first epoch (warmup_teacher_temp: 0.04).</summary>
    public double WarmupTeacherTemp { get; init; } = 0.04;
    /// <summary>CLS τ_t after the warm-up (the ViT-S/16 command's teacher_temp: 0.07).</summary>
    public double TeacherTemp { get; init; } = 0.07;
    /// <summary>Patch τ_t at the first epoch (warmup_teacher_patch_temp: 0.04).</summary>
    public double WarmupTeacherPatchTemp { get; init; } = 0.04;
    /// <summary>Patch τ_t after the warm-up (teacher_patch_temp: 0.07).</summary>
    public double TeacherPatchTemp { get; init; } = 0.07;
    /// <summary>Epochs of both linear τ_t warm-ups (paper: 30), at most 30 % of the run's epochs (<see cref="SelfDistillation.MaxTeacherWarmupFraction"/>).</summary>
    public int WarmupTeacherTempEpochs { get; init; } = 30;
    /// <summary>m of the CLS and the patch centre's moving averages (center_momentum and center_momentum2: 0.9).</summary>
    public double CenterMomentum { get; init; } = 0.9;
    /// <summary>Teacher EMA momentum at the first step (paper: 0.996), raised to teacher_momentum_end on a cosine.</summary>
    public double TeacherMomentum { get; init; } = 0.996;
    /// <summary>Teacher EMA momentum at the last step (paper: 1).</summary>
    public double TeacherMomentumEnd { get; init; } = 1.0;
    /// <summary>Epochs during which the head's last layers get no update (freeze_last_layer: 1).</summary>
    public int FreezeLastLayerEpochs { get; init; } = 1;
    /// <summary>Weight λ₂ of the masked-patch loss beside the CLS loss (lambda2: 1).</summary>
    public double PatchLossWeight { get; init; } = 1.0;
    /// <summary>Share of global crops that are masked at all (the ViT-S/16 command's pred_ratio "0 0.3" picks one of two ratios per crop, so half).</summary>
    public double MaskedShare { get; init; } = 0.5;
    /// <summary>Smallest mask ratio of a masked crop (pred_ratio 0.3 − pred_ratio_var 0.2).</summary>
    public double MaskRatioMin { get; init; } = 0.1;
    /// <summary>Largest mask ratio of a masked crop (0.3 + 0.2).</summary>
    public double MaskRatioMax { get; init; } = 0.5;
    /// <summary>Local crops per image besides the 2 global ones (ViT-S/16 command: 10; sized for CPU). 0: the 2 global crops only.</summary>
    public int LocalCrops { get; init; } = 4;
    /// <summary>Smallest area fraction of a global crop; unset: 0.4 with local crops, 0.14 without (as DINO; the ViT-S/16 command uses 0.25).</summary>
    public double? GlobalScaleMin { get; init; }
    /// <summary>Smallest area fraction of a local crop (paper: 0.05).</summary>
    public double LocalScaleMin { get; init; } = 0.05;
    /// <summary>Largest area fraction of a local crop (DINO's 0.4; the ViT-S/16 command uses 0.25).</summary>
    public double LocalScaleMax { get; init; } = 0.4;
    /// <summary>Side of a local crop in pixels; unset: 96/224 of the image size in whole patches.</summary>
    public int? LocalSize { get; init; }
}

/// <summary>
/// iBOT: DINO's CLS self-distillation (<see cref="DinoLoss.MultiView"/> over the CLS token of every crop) plus masked
/// image modelling with an online tokenizer: the student sees the global crops with block-masked patches (BEiT's
/// block masking, <see cref="Masking.BlockWise"/>; the patch embedding replaced by a mask token before positions),
/// the teacher — an EMA of the student — sees them whole, and at every masked position the student's patch output
/// is trained to match the teacher's centred, sharpened patch softmax (<see cref="DinoLoss.MaskedPatches"/>, with its
/// own centre and temperatures). The head's MLP runs on every token; its last layer is shared with the CLS head or
/// separate (<see cref="IbotOptions.SharedHead"/>). ViT only, with a CLS token. The representation is the encoder.
/// </summary>
public sealed class Ibot : SslMethod
{
    readonly Vit encoder;
    readonly Parameter mask_token;
    readonly DinoHead head;
    readonly WeightNormLinear? patch_layer;
    readonly MomentumTeacher<Vit> teacher_encoder;
    readonly MomentumTeacher<DinoHead> teacher_head;
    readonly MomentumTeacher<WeightNormLinear>? teacher_patch_layer;
    readonly TeacherCentre centre;
    readonly TeacherCentre patch_centre;

    public Ibot(Encoder encoder, IbotOptions options) : base(nameof(Ibot), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.encoder = encoder as Vit
            ?? throw new ArgumentException($"ibot: the encoder must be a ViT (vit-tiny, vit-small, vit-base), got {encoder.GetName()}");
        if (!this.encoder.Options.ClassToken)
            throw new ArgumentException("ibot: the ViT needs a CLS token (the CLS loss distils it); use an encoder name without /nocls");
        Validate(options);
        Options = options;
        var dim = this.encoder.EmbeddingDim;
        mask_token = new Parameter(zeros(1, 1, dim)); // iBOT's masked_embed starts at zero
        head = new DinoHead(new DinoHeadOptions(dim, options.HeadHiddenDim, options.BottleneckDim, options.OutDim, options.HeadLayers, options.UseBnInHead ?? encoder is not Vit,
            options.NormLastLayer));
        if (!options.SharedHead) patch_layer = new WeightNormLinear(options.BottleneckDim, options.PatchOutDim, learnedGain: !options.NormLastLayer);
        var teacherOptions = this.encoder.Options with { DropPath = 0 };
        teacher_encoder = MomentumTeacher.Create(this.encoder, () => new Vit(teacherOptions), buffers: TeacherBuffers.KeepOwn);
        teacher_head = MomentumTeacher.Create(head, () => new DinoHead(head.Options), buffers: TeacherBuffers.KeepOwn);
        if (patch_layer is not null)
            teacher_patch_layer = MomentumTeacher.Create(patch_layer, () => new WeightNormLinear(options.BottleneckDim, options.PatchOutDim, learnedGain: !options.NormLastLayer), buffers: TeacherBuffers.KeepOwn);
        centre = new TeacherCentre(options.OutDim, options.CenterMomentum);
        patch_centre = new TeacherCentre(PatchOutDim, options.CenterMomentum);
        RegisterComponents();
    }

    public IbotOptions Options { get; }

    public DinoHead Head => head;

    /// <summary>The last layer that maps patch tokens: the head's own when shared, else the separate one.</summary>
    public WeightNormLinear PatchLayer => patch_layer ?? head.LastLayer;

    public Vit TeacherEncoder => teacher_encoder.Module;

    public DinoHead TeacherHead => teacher_head.Module;

    public TeacherCentre Centre => centre;

    public TeacherCentre PatchCentre => patch_centre;

    public Parameter MaskToken => mask_token;

    int PatchOutDim => Options.SharedHead ? Options.OutDim : Options.PatchOutDim;

    WeightNormLinear TeacherPatchLayer => teacher_patch_layer?.Module ?? teacher_head.Module.LastLayer;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "ibot", "self-distillation",
        "Zhou et al. 2022, iBOT: Image BERT Pre-Training with Online Tokenizer (arXiv:2111.07832)",
        "DINO's CLS self-distillation plus masked-patch self-distillation: the student's block-masked patches match the EMA teacher's patch softmax",
        new Recipe
        {
            Source = "bytedance/ibot main_ibot.py defaults: AdamW, lr 5e-4 × B/256 after 10 warm-up epochs, cosine (to 1e-6 there, 0 here), weight decay 0.04 → 0.4 on a cosine, gradient clipping 3.0 (per parameter there, global norm here)",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 5e-4, Scaling = LrScaling.Linear, WeightDecay = 0.04, WeightDecayEnd = 0.4,
            WarmupEpochs = 10, GradClip = 3.0,
        },
        new IbotOptions(),
        (ctx, o) => new Ibot(ctx.Encoder, o),
        (ctx, o) => SelfDistillation.Views(ctx, o.LocalCrops, o.GlobalScaleMin, o.LocalScaleMin, o.LocalScaleMax, o.LocalSize));

    /// <inheritdoc/>
    public override string? OutputCollapse(IReadOnlyDictionary<string, double> scalars) => SelfDistillation.OutputCollapse(scalars, Options.OutDim);

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var views = batch.Views;
        if (views.Length < 2) throw new ArgumentException($"iBOT expects 2 global crops and optional local crops, got {views.Length} view(s)");
        var globals = cat([views[0], views[1]], 0);                                   // [2B, C, H, W]
        var (gh, gw) = ((int)(views[0].shape[2] / encoder.PatchSize), (int)(views[0].shape[3] / encoder.PatchSize));
        var mask = DrawMasks(globals.shape[0], gh, gw, generator: null, globals.device); // [2B, T]
        var (clsLoss, patchLoss, entropy, meanEntropy) = Loss(views, mask, context);
        var loss = clsLoss + patchLoss * Options.PatchLossWeight;
        var scalars = new Dictionary<string, Tensor>
        {
            ["cls_loss"] = clsLoss.detach(),
            ["patch_loss"] = patchLoss.detach(),
            ["masked_fraction"] = mask.mean(),
            ["teacher_temp"] = tensor((float)TeacherTemperatures(context).Cls),
            ["teacher_entropy"] = entropy,
            ["teacher_mean_entropy"] = meanEntropy,
        };
        return new StepResult(loss, scalars);
    }

    /// <summary>The CLS and patch teacher temperatures for <paramref name="context"/>'s epoch.</summary>
    public (double Cls, double Patch) TeacherTemperatures(StepContext context) => (
        SelfDistillation.TeacherTemperature(Options.WarmupTeacherTemp, Options.TeacherTemp, Options.WarmupTeacherTempEpochs, context),
        SelfDistillation.TeacherTemperature(Options.WarmupTeacherPatchTemp, Options.TeacherPatchTemp, Options.WarmupTeacherTempEpochs, context));

    /// <summary>
    /// The CLS loss and the masked-patch loss (averaged over the two global crops) for <paramref name="views"/>
    /// (2 global crops, then local crops, [B, C, H, W] each) with <paramref name="mask"/> [2B, T] over the global
    /// crops (1 = masked; first crop's rows first); updates both centres afterwards. Also the CLS teacher's entropy, per
    /// image and of the batch's average distribution.
    /// </summary>
    public (Tensor Cls, Tensor Patch, Tensor TeacherEntropy, Tensor TeacherMeanEntropy) Loss(IReadOnlyList<Tensor> views, Tensor mask, StepContext context)
    {
        using var scope = NewDisposeScope();
        var (temp, patchTemp) = TeacherTemperatures(context);
        var globals = cat([views[0], views[1]], 0);                                    // [2B, C, H, W]
        var b = views[0].shape[0];
        var chosen = mask.to(ScalarType.Bool);                                         // [2B, T]

        var (teacherCls, teacherPatch) = TeacherLogits(globals);                       // [2B, K], [2B, T, Kp]
        var clsTargets = centre.Targets(teacherCls, temp);                             // [2B, K]
        var patchTargets = patch_centre.Targets(teacherPatch[chosen], patchTemp);      // [M, Kp]

        var tokens = encoder.ForwardMasked(globals, chosen, mask_token);               // [2B, 1 + T, D]
        var cls = new List<Tensor> { tokens.select(1, 0) };                           // [2B, D]
        if (views.Count > 2)
            cls.Add(encoder.ForwardFeatures(cat(views.Skip(2).ToList(), 0)).select(1, 0)); // [L·B, D]
        var clsFeatures = cat(cls, 0);                                                 // [(2 + L)·B, D]
        var maskedFeatures = tokens.narrow(1, 1, tokens.shape[1] - 1)[chosen];         // [M, D]
        var z = head.Bottleneck(cat([clsFeatures, maskedFeatures], 0));                // one MLP pass over both
        var studentCls = head.LastLayer.call(z.narrow(0, 0, clsFeatures.shape[0]));    // [(2 + L)·B, K]
        var studentPatch = PatchLayer.call(z.narrow(0, clsFeatures.shape[0], maskedFeatures.shape[0])); // [M, Kp]

        var clsLoss = DinoLoss.MultiView(clsTargets.chunk(2), studentCls.chunk(views.Count), Options.StudentTemp);
        // Masked tokens of the first crop come first in [chosen]'s row-major order.
        var m0 = chosen.narrow(0, 0, b).sum().item<long>();
        var m1 = chosen.narrow(0, b, b).sum().item<long>();
        var patchLoss = (DinoLoss.MaskedPatches(patchTargets.narrow(0, 0, m0), studentPatch.narrow(0, 0, m0), chosen.narrow(0, 0, b), Options.StudentTemp)
            + DinoLoss.MaskedPatches(patchTargets.narrow(0, m0, m1), studentPatch.narrow(0, m0, m1), chosen.narrow(0, b, b), Options.StudentTemp)) / 2;

        centre.Update(teacherCls, context.Collectives);
        patch_centre.Update(teacherPatch.flatten(0, 1), context.Collectives);
        var entropy = SelfDistillation.Entropy(clsTargets);
        var meanEntropy = SelfDistillation.MeanEntropy(clsTargets);
        return (clsLoss.MoveToOuterDisposeScope(), patchLoss.MoveToOuterDisposeScope(), entropy.MoveToOuterDisposeScope(), meanEntropy.MoveToOuterDisposeScope());
    }

    /// <summary>The teacher's CLS logits [N, K] and patch logits [N, T, Kp] for whole images [N, C, H, W], without gradient.</summary>
    public (Tensor Cls, Tensor Patch) TeacherLogits(Tensor images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var tokens = teacher_encoder.Module.ForwardFeatures(images);                   // [N, 1 + T, D]
        var z = teacher_head.Module.Bottleneck(tokens);                                // [N, 1 + T, bottleneck]
        var cls = teacher_head.Module.LastLayer.call(z.select(1, 0));                  // [N, K]
        var patch = TeacherPatchLayer.call(z.narrow(1, 1, z.shape[1] - 1));            // [N, T, Kp]
        return (cls.MoveToOuterDisposeScope(), patch.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Masks for <paramref name="count"/> crops on a <paramref name="gridH"/>×<paramref name="gridW"/> patch grid,
    /// float32 [count, T] (1 = masked): each crop is masked with probability <see cref="IbotOptions.MaskedShare"/>, at a
    /// ratio uniform in [<see cref="IbotOptions.MaskRatioMin"/>, <see cref="IbotOptions.MaskRatioMax"/>], in BEiT's
    /// blocks of at least (min side / 3)² patches, as iBOT's loader does. Drawn from <paramref name="generator"/>
    /// (null: the global one, which checkpoints save).
    /// </summary>
    public Tensor DrawMasks(long count, int gridH, int gridW, Generator? generator, Device device)
    {
        using var scope = NewDisposeScope();
        var draws = rand(count, 2, generator: generator).data<float>().ToArray();      // (masked?, ratio) per crop
        var minBlock = Math.Max(1, Math.Min(gridH, gridW) / 3 * (Math.Min(gridH, gridW) / 3));
        var rows = new List<Tensor>();
        for (long i = 0; i < count; i++)
        {
            if (draws[2 * i] >= Options.MaskedShare) { rows.Add(zeros(1, (long)gridH * gridW, device: device)); continue; }
            var ratio = Options.MaskRatioMin + (Options.MaskRatioMax - Options.MaskRatioMin) * draws[2 * i + 1];
            rows.Add(Masking.BlockWise(1, gridH, gridW, ratio, generator, device, minBlock));
        }
        return cat(rows, 0).MoveToOuterDisposeScope();                                 // [count, T]
    }

    /// <summary>iBOT's cancel_gradients_last_layer: no update of the last layers (CLS and patch) during the first epochs.</summary>
    public override void BeforeOptimizerStep(StepContext context)
    {
        if (context.Epoch >= Options.FreezeLastLayerEpochs) return;
        head.LastLayer.DropGradient();
        patch_layer?.DropGradient();
    }

    /// <summary>Teacher ← m·teacher + (1 − m)·student for the encoder and the head(s), m on the cosine from 0.996 to 1.</summary>
    public override void AfterOptimizerStep(StepContext context)
    {
        var m = SelfDistillation.Momentum(Options.TeacherMomentum, Options.TeacherMomentumEnd, context);
        teacher_encoder.Update(encoder, m);
        teacher_head.Update(head, m);
        if (patch_layer is not null) teacher_patch_layer!.Update(patch_layer, m);
    }

    static void Validate(IbotOptions o)
    {
        SelfDistillation.Validate("ibot", o.StudentTemp, o.WarmupTeacherTemp, o.TeacherTemp, o.WarmupTeacherTempEpochs,
            o.CenterMomentum, o.TeacherMomentum, o.TeacherMomentumEnd, o.FreezeLastLayerEpochs, o.LocalCrops);
        if (!(o.WarmupTeacherPatchTemp > 0)) throw new ArgumentException($"ibot: warmup_teacher_patch_temp must be > 0, got {o.WarmupTeacherPatchTemp}");
        if (!(o.TeacherPatchTemp > 0)) throw new ArgumentException($"ibot: teacher_patch_temp must be > 0, got {o.TeacherPatchTemp}");
        if (!(o.MaskedShare >= 0 && o.MaskedShare <= 1)) throw new ArgumentException($"ibot: masked_share must be in [0, 1], got {o.MaskedShare}");
        if (!(o.MaskRatioMin > 0 && o.MaskRatioMin <= o.MaskRatioMax && o.MaskRatioMax < 1))
            throw new ArgumentException($"ibot: mask ratios must satisfy 0 < mask_ratio_min ≤ mask_ratio_max < 1, got ({o.MaskRatioMin}, {o.MaskRatioMax})");
        if (!(o.PatchLossWeight >= 0)) throw new ArgumentException($"ibot: patch_loss_weight must be ≥ 0, got {o.PatchLossWeight}");
        if (o.PatchOutDim < 1) throw new ArgumentException($"ibot: patch_out_dim must be ≥ 1, got {o.PatchOutDim}");
    }
}
