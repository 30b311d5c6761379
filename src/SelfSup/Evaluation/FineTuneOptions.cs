using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// The fine-tuning recipe: encoder + linear head trained on labelled images with light augmentation, a cosine
/// schedule and early stopping on a validation split carved from the labelled images.
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>Passes over the training part of the labelled set (raised when needed to reach <see cref="MinSteps"/>).</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>At least this many optimizer steps: a 10-image set has one step per epoch and would barely move otherwise.</summary>
    public int MinSteps { get; init; } = 200;

    public int BatchSize { get; init; } = 64;

    /// <summary>AdamW or SGD (with momentum); LARS is meant for large-batch pretraining and is refused.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;

    /// <summary>Peak learning rate of the linear head (after warm-up, cosine-decayed to 0).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Backbone learning rate = head rate × this factor (pretrained weights need smaller steps than a fresh head).</summary>
    public double BackboneLrFactor { get; init; } = 0.1;

    /// <summary>Layer-wise decay (BEiT, Bao et al. 2021; MAE's fine-tuning): when set, stage s gets head rate ×
    /// decay^(depth from the top), replacing <see cref="BackboneLrFactor"/>. For CNNs the last stage has depth 1; for a
    /// ViT block i (1-based) has depth L + 1 − i, the embedding L + 1 and the final norm (and fc_norm) 0, as MAE's and
    /// BEiT's d^(L + 1 − layer id) (see <see cref="FineTuneStages"/>).</summary>
    public double? LayerDecay { get; init; }

    /// <summary>Decoupled (AdamW) or L2 (SGD) weight decay on weights with ≥ 2 dimensions; norms, biases, tokens and
    /// positions get none (<see cref="FineTuneParamGroups.TakesWeightDecay"/>).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    public double Momentum { get; init; } = 0.9;

    /// <summary>Linear warm-up of every group's rate over this fraction of all steps.</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>The first K stages (see <see cref="FineTuneStages"/>) stay as loaded: no gradient, BatchNorm in eval mode. 0: full fine-tuning.</summary>
    public int FrozenStages { get; init; }

    /// <summary>
    /// Fine-tune a ViT on the mean of its patch tokens (before its final norm, then a fresh fc_norm), whatever it pools
    /// for probes, as MAE and BEiT fine-tune (<c>global_pool</c>); a ViT built with mean pooling always does.
    /// </summary>
    public bool GlobalPool { get; init; }

    /// <summary>Smallest area fraction of the random resized crop (the crop keeps most of the object).</summary>
    public double CropMinScale { get; init; } = 0.5;

    public bool HorizontalFlip { get; init; } = true;

    /// <summary>
    /// Starting from a pretrained encoder, first fit a linear probe (L-BFGS, <see cref="HeadProbe"/>) on its frozen
    /// features of the training images and start the head from it: LP-FT (Kumar et al. 2022), so the first steps
    /// do not push a random head's large gradients into the pretrained features. Ignored from scratch.
    /// </summary>
    public bool HeadFromProbe { get; init; } = true;

    /// <summary>The probe that initialises the head when <see cref="HeadFromProbe"/> is set.</summary>
    public LinearProbeOptions HeadProbe { get; init; } = new();

    /// <summary>Per class, this fraction of the labelled images (rounded down) is held out for early stopping.
    /// Classes too small to give one image keep them all; with no held-out image the last epoch is kept.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Stop after this many epochs without a better validation score and restore the best epoch's weights
    /// (null: never stop early; the best epoch is still restored). Only epochs ending at or after <see cref="MinSteps"/>
    /// count, for stopping and for the weights kept.</summary>
    public int? Patience { get; init; } = 10;

    /// <summary>Seeds head init, batch order, augmentation and the validation split.</summary>
    public int Seed { get; init; }

    public Device? Device { get; init; }

    public IProgress<string>? Log { get; init; }

    internal void Validate()
    {
        if (Epochs <= 0) throw new ArgumentException($"fine-tune: epochs must be positive, got {Epochs}");
        if (MinSteps < 0) throw new ArgumentException($"fine-tune: min_steps must be ≥ 0, got {MinSteps}");
        if (BatchSize < 2) throw new ArgumentException($"fine-tune: batch_size must be ≥ 2 (BatchNorm trains on batch statistics), got {BatchSize}");
        if (Optimizer is not (OptimizerKind.AdamW or OptimizerKind.Sgd))
            throw new ArgumentException($"fine-tune: optimizer must be adamw or sgd, got {Optimizer.ToString().ToLowerInvariant()}");
        if (!(LearningRate > 0)) throw new ArgumentException($"fine-tune: lr must be > 0, got {LearningRate}");
        if (!(BackboneLrFactor >= 0)) throw new ArgumentException($"fine-tune: backbone_lr_factor must be ≥ 0, got {BackboneLrFactor}");
        if (LayerDecay is { } d && !(d > 0 && d <= 1)) throw new ArgumentException($"fine-tune: layer_decay must be in (0, 1], got {d}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"fine-tune: weight_decay must be ≥ 0, got {WeightDecay}");
        if (!(WarmupFraction >= 0 && WarmupFraction < 1)) throw new ArgumentException($"fine-tune: warmup_fraction must be in [0, 1), got {WarmupFraction}");
        if (FrozenStages < 0) throw new ArgumentException($"fine-tune: freeze_stages must be ≥ 0, got {FrozenStages}");
        if (!(CropMinScale > 0 && CropMinScale <= 1)) throw new ArgumentException($"fine-tune: crop_min_scale must be in (0, 1], got {CropMinScale}");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentException($"fine-tune: validation_fraction must be in [0, 1), got {ValidationFraction}");
        HeadProbe.Validate();
        if (Patience is { } p && p <= 0) throw new ArgumentException($"fine-tune: patience must be positive, got {p}");
    }
}
