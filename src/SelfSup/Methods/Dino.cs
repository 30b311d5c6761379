using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// DINO hyperparameters (Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers"; defaults
/// of facebookresearch/dino's main_dino.py and its ViT-S/16 recipe). The head and the crops are sized for a CPU and
/// small images; the paper's values are given per field. The optimiser recipe (AdamW, lr 5e-4·B/256, weight decay
/// 0.04 → 0.4, clipping 3.0) is <see cref="Dino.Info"/>'s.
/// </summary>
public sealed record DinoOptions
{
    /// <summary>K, the head's output dimensions the softmax runs over (paper: 65536; sized for CPU and CIFAR-scale data).</summary>
    public int OutDim { get; init; } = 4096;
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
    /// learns a gain per output, which main_dino.py's help advises for ViT-S, so the outputs can sharpen beyond cosines.
    /// </summary>
    public bool NormLastLayer { get; init; } = true;
    /// <summary>τ_s, the student's softmax temperature (paper: 0.1).</summary>
    public double StudentTemp { get; init; } = 0.1;
    /// <summary>τ_t at the first epoch (main_dino.py's warmup_teacher_temp: 0.04).</summary>
    public double WarmupTeacherTemp { get; init; } = 0.04;
    /// <summary>τ_t after the warm-up (the ViT-S/16 recipe's teacher_temp: 0.07).</summary>
    public double TeacherTemp { get; init; } = 0.07;
    /// <summary>
    /// Epochs of the linear τ_t warm-up (the ViT-S/16 recipe: 30), at most 30 % of the run's epochs
    /// (<see cref="SelfDistillation.MaxTeacherWarmupFraction"/>).
    /// </summary>
    public int WarmupTeacherTempEpochs { get; init; } = 30;
    /// <summary>Subtract the EMA centre from the teacher's outputs (paper: yes); false shows the collapse that sharpening alone leads to.</summary>
    public bool Centering { get; init; } = true;
    /// <summary>m of the centre's moving average (paper: 0.9).</summary>
    public double CenterMomentum { get; init; } = 0.9;
    /// <summary>Teacher EMA momentum at the first step (paper: 0.996), raised to teacher_momentum_end on a cosine.</summary>
    public double TeacherMomentum { get; init; } = 0.996;
    /// <summary>Teacher EMA momentum at the last step (paper: 1).</summary>
    public double TeacherMomentumEnd { get; init; } = 1.0;
    /// <summary>Epochs during which the head's last layer gets no update (main_dino.py's freeze_last_layer: 1).</summary>
    public int FreezeLastLayerEpochs { get; init; } = 1;
    /// <summary>Local crops per image besides the 2 global ones (paper: 8 or 10); with 4 a ResNet-18 step on 32-px images costs about 1.9× the FLOPs of a two-view step. 0: the 2 global crops only.</summary>
    public int LocalCrops { get; init; } = 4;
    /// <summary>Smallest area fraction of a global crop; unset: 0.4 with local crops (paper), 0.14 without (main_dino.py's advice).</summary>
    public double? GlobalScaleMin { get; init; }
    /// <summary>Smallest area fraction of a local crop (paper: 0.05).</summary>
    public double LocalScaleMin { get; init; } = 0.05;
    /// <summary>Largest area fraction of a local crop (paper: 0.4).</summary>
    public double LocalScaleMax { get; init; } = 0.4;
    /// <summary>Side of a local crop in pixels; unset: 96/224 of the image size, a whole number of ViT patches (14 px at 32 px; 12 px for patch 4).</summary>
    public int? LocalSize { get; init; }
}

/// <summary>
/// DINO, self-distillation with no labels: a student (encoder + <see cref="DinoHead"/>) sees every crop, a teacher
/// of the same architecture — an EMA of the student (<see cref="MomentumTeacher{TModule}"/>, momentum 0.996 → 1 on a
/// cosine) — sees the two global crops; the student's softmax at τ_s = 0.1 is trained to match the teacher's centred
/// and sharpened softmax at τ_t (0.04 → 0.07) by cross-entropy between each teacher view and every other student
/// view (<see cref="DinoLoss.MultiView"/>). The centre (<see cref="TeacherCentre"/>) is updated after the loss from
/// the teacher's global-crop outputs. The head's last layer is frozen during the first epoch. Works with any encoder:
/// the representation is the backbone output (a ViT's CLS token, a ResNet's pooled features).
/// </summary>
public sealed class Dino : SslMethod
{
    readonly Encoder encoder;
    readonly DinoHead head;
    readonly MomentumTeacher<Encoder> teacher_encoder;
    readonly MomentumTeacher<DinoHead> teacher_head;
    readonly TeacherCentre centre;

    public Dino(Encoder encoder, Func<Encoder> createEncoder, DinoOptions options) : base(nameof(Dino), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        SelfDistillation.Validate("dino", options.StudentTemp, options.WarmupTeacherTemp, options.TeacherTemp, options.WarmupTeacherTempEpochs,
            options.CenterMomentum, options.TeacherMomentum, options.TeacherMomentumEnd, options.FreezeLastLayerEpochs, options.LocalCrops);
        Options = options;
        this.encoder = encoder;
        head = new DinoHead(new DinoHeadOptions(encoder.EmbeddingDim, options.HeadHiddenDim, options.BottleneckDim, options.OutDim, options.HeadLayers, options.UseBnInHead ?? encoder is not Vit,
            options.NormLastLayer));
        // The references run their teacher in training mode and average parameters only.
        teacher_encoder = MomentumTeacher.Create(encoder, SelfDistillation.TeacherEncoderFactory(encoder, createEncoder), buffers: TeacherBuffers.KeepOwn);
        teacher_head = MomentumTeacher.Create(head, () => new DinoHead(head.Options), buffers: TeacherBuffers.KeepOwn);
        centre = new TeacherCentre(options.OutDim, options.CenterMomentum);
        RegisterComponents();
    }

    public DinoOptions Options { get; }

    public DinoHead Head => head;

    /// <summary>The teacher's encoder, an EMA of <see cref="SslMethod.Encoder"/>.</summary>
    public Encoder TeacherEncoder => teacher_encoder.Module;

    public DinoHead TeacherHead => teacher_head.Module;

    public TeacherCentre Centre => centre;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "dino", "self-distillation",
        "Caron et al. 2021, Emerging Properties in Self-Supervised Vision Transformers (arXiv:2104.14294)",
        "student on 2 global + local crops matches an EMA teacher's centred, sharpened softmax over K dimensions on the global crops",
        new Recipe
        {
            Source = "facebookresearch/dino main_dino.py defaults: AdamW, lr 5e-4 × B/256 after 10 warm-up epochs, cosine (to 1e-6 there, 0 here), weight decay 0.04 → 0.4 on a cosine, gradient clipping 3.0 (per parameter there, global norm here)",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 5e-4, Scaling = LrScaling.Linear, WeightDecay = 0.04, WeightDecayEnd = 0.4,
            WarmupEpochs = 10, GradClip = 3.0,
        },
        new DinoOptions(),
        (ctx, o) => new Dino(ctx.Encoder, ctx.CreateEncoder, o),
        (ctx, o) => SelfDistillation.Views(ctx, o.LocalCrops, o.GlobalScaleMin, o.LocalScaleMin, o.LocalScaleMax, o.LocalSize));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var views = batch.Views;
        if (views.Length < 2) throw new ArgumentException($"DINO expects 2 global crops and optional local crops, got {views.Length} view(s)");
        var temperature = TeacherTemperature(context);
        using var teacherLogits = TeacherLogits(views[0], views[1]);                  // [2B, K]
        using var targets = centre.Targets(teacherLogits, temperature, Options.Centering); // [2B, K]
        var student = StudentLogits(views);                                           // V × [B, K]
        var loss = DinoLoss.MultiView(targets.chunk(2), student, Options.StudentTemp);
        if (Options.Centering) centre.Update(teacherLogits, context.Collectives);
        var scalars = new Dictionary<string, Tensor>
        {
            ["teacher_temp"] = tensor((float)temperature),
            ["teacher_entropy"] = SelfDistillation.Entropy(targets),
            ["teacher_mean_entropy"] = SelfDistillation.MeanEntropy(targets),
            ["teacher_momentum"] = tensor((float)SelfDistillation.Momentum(Options.TeacherMomentum, Options.TeacherMomentumEnd, context)),
        };
        return new StepResult(loss, scalars);
    }

    /// <inheritdoc/>
    public override string? OutputCollapse(IReadOnlyDictionary<string, double> scalars) => SelfDistillation.OutputCollapse(scalars, Options.OutDim);

    /// <summary>τ_t for <paramref name="context"/>'s epoch (<see cref="SelfDistillation.TeacherTemperature"/>).</summary>
    public double TeacherTemperature(StepContext context) =>
        SelfDistillation.TeacherTemperature(Options.WarmupTeacherTemp, Options.TeacherTemp, Options.WarmupTeacherTempEpochs, context);

    /// <summary>The teacher's logits for the two global crops [B, C, H, W] each, without gradient: [2B, K] (first crop's rows first).</summary>
    public Tensor TeacherLogits(Tensor global1, Tensor global2)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var features = teacher_encoder.Module.forward(cat([global1, global2], 0)); // [2B, D]
        return teacher_head.Module.forward(features).MoveToOuterDisposeScope();  // [2B, K]
    }

    /// <summary>
    /// The student's logits per view, [B, K] each, in the views' order. Consecutive views of one size share an encoder
    /// pass (<see cref="CropBatches.Encode"/>, as DINO's MultiCropWrapper) and the head runs once over all of them.
    /// </summary>
    public Tensor[] StudentLogits(IReadOnlyList<Tensor> views)
    {
        using var scope = NewDisposeScope();
        var logits = head.forward(CropBatches.Encode(encoder, views));                 // [V·B, K]
        return logits.chunk(views.Count).Select(t => t.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>DINO's cancel_gradients_last_layer: no update of the head's last layer during the first <see cref="DinoOptions.FreezeLastLayerEpochs"/> epochs.</summary>
    public override void BeforeOptimizerStep(StepContext context)
    {
        if (context.Epoch < Options.FreezeLastLayerEpochs) head.LastLayer.DropGradient();
    }

    /// <summary>Teacher ← m·teacher + (1 − m)·student for encoder and head, m on DINO's cosine from 0.996 to 1.</summary>
    public override void AfterOptimizerStep(StepContext context)
    {
        var m = SelfDistillation.Momentum(Options.TeacherMomentum, Options.TeacherMomentumEnd, context);
        teacher_encoder.Update(encoder, m);
        teacher_head.Update(head, m);
    }
}
