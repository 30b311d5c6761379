using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// MAE hyperparameters (He et al. 2022, "Masked Autoencoders Are Scalable Vision Learners"). Defaults are the
/// paper's; on a CPU pass a smaller decoder (e.g. <c>--set decoder_dim=128 --set decoder_depth=2 --set decoder_heads=4</c>).
/// Its training recipe (AdamW, β = (0.9, 0.95), lr = 1.5e-4·batch/256, weight decay 0.05, warm-up) is <see cref="Mae.Info"/>'s.
/// </summary>
public sealed record MaeOptions
{
    /// <summary>Fraction of patch tokens hidden from the encoder; 0.75 is the paper's best (Fig. 5).</summary>
    public double MaskRatio { get; init; } = 0.75;
    /// <summary>Decoder token width (paper: 512, Table 1b).</summary>
    public int DecoderDim { get; init; } = 512;
    /// <summary>Decoder transformer blocks (paper: 8, Table 1a; depth matters for linear probing).</summary>
    public int DecoderDepth { get; init; } = 8;
    /// <summary>Decoder attention heads (paper: 16).</summary>
    public int DecoderHeads { get; init; } = 16;
    /// <summary>Predict per-patch normalised pixels (norm_pix_loss); the paper's better variant (Table 1d).</summary>
    public bool NormPixLoss { get; init; } = true;
    /// <summary>Smallest crop area of the random resized crop; MAE's only augmentations are this crop (scale 0.2–1) and a flip.</summary>
    public double CropMinScale { get; init; } = 0.2;
}

/// <summary>Images with their MAE reconstruction, all [B, C, H, W] in the model's (normalised) input space.</summary>
/// <param name="Masked">The input with masked patches set to 0 (the data mean after de-normalisation).</param>
/// <param name="Reconstruction">Visible patches from the input, masked ones from the prediction (de-normalised per patch with
/// the input's own patch mean and variance when the model predicts normalised pixels, as MAE's visualisations do).</param>
public sealed record MaeReconstruction(Tensor Original, Tensor Masked, Tensor Reconstruction) : IDisposable
{
    public void Dispose()
    {
        Original.Dispose();
        Masked.Dispose();
        Reconstruction.Dispose();
    }
}

/// <summary>
/// Masked autoencoder: mask 75 % of the patch tokens at random per image, encode only the visible 25 % with the
/// ViT, let a light decoder predict every patch's pixels from the visible tokens plus mask tokens, and score the
/// prediction with the mean squared error on the masked patches only.
/// </summary>
public sealed class Mae : SslMethod, IReconstructionPictures
{
    readonly Vit encoder;
    readonly MaeDecoder decoder;

    public Mae(Encoder encoder, MaeOptions options) : base(nameof(Mae), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.encoder = encoder as Vit
            ?? throw new ArgumentException($"mae: the encoder must be a ViT (vit-tiny, vit-small, vit-base), got {encoder.GetName()}");
        if (!(options.MaskRatio > 0 && options.MaskRatio < 1))
            throw new ArgumentException($"mae: mask_ratio must be in (0, 1), got {options.MaskRatio}");
        if (!this.encoder.Options.ClassToken) throw new ArgumentException("mae: the ViT needs its CLS token (MAE's decoder input starts with it)");
        Options = options;
        // The official _init_weights: every Linear of the encoder xavier-uniform (the ViT's default is truncated normal).
        TransformerInit.ApplyXavierUniform(this.encoder);
        var patch = this.encoder.PatchSize;
        decoder = new MaeDecoder(this.encoder.EmbeddingDim, options.DecoderDim, options.DecoderDepth, options.DecoderHeads,
            this.encoder.GridSize, patch * patch * this.encoder.Options.InChannels);
        RegisterComponents();
    }

    public MaeOptions Options { get; }

    public MaeDecoder Decoder => decoder;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "mae", "masked image modelling",
        "He et al. 2022, Masked Autoencoders Are Scalable Vision Learners (arXiv:2111.06377)",
        "ViT encodes 25 % of patches, a light decoder predicts the masked patches' pixels, MSE on masked patches",
        new Recipe
        {
            Source = "He et al. 2022, appendix A.1 (Table 8): AdamW β (0.9, 0.95), base lr 1.5e-4 × B/256, weight decay 0.05, 40 warm-up epochs",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 1.5e-4, Scaling = LrScaling.Linear, WeightDecay = 0.05, WarmupEpochs = 40,
            AdamBeta1 = 0.9, AdamBeta2 = 0.95,
        },
        new MaeOptions(),
        (ctx, o) => new Mae(ctx.Encoder, o),
        (ctx, o) => MaeViews.ForImages(ctx.ImageSize, ctx.Stats, o.CropMinScale)) with { FineTuneGlobalPool = true };

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView("MAE");
        var (latent, prediction, mask) = ForwardMasked(x, generator: null);
        var loss = Loss(x, prediction, mask);
        var scalars = new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(latent.select(1, 0).detach()),
        };
        return new StepResult(loss, scalars);
    }

    /// <summary>
    /// Masks <paramref name="x"/> [B, C, H, W] at the configured ratio (noise from <paramref name="generator"/>; null: the
    /// global generator), encodes the visible tokens and decodes: encoder output [B, 1 + K, D], prediction [B, T, p·p·C],
    /// mask [B, T] (1 = masked).
    /// </summary>
    public (Tensor Latent, Tensor Prediction, Tensor Mask) ForwardMasked(Tensor x, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var tokens = (long)encoder.GridSize * encoder.GridSize;
        using var m = Masking.Random(x.shape[0], tokens, Options.MaskRatio, generator, x.device);
        var latent = encoder.ForwardVisible(x, m.Keep);      // [B, 1 + K, D]
        var prediction = decoder.Forward(latent, m.Restore); // [B, T, p·p·C]
        return (latent.MoveToOuterDisposeScope(), prediction.MoveToOuterDisposeScope(), m.Mask.alias().MoveToOuterDisposeScope());
    }

    /// <summary>Masked MSE between the prediction and the (optionally per-patch normalised) patches of <paramref name="x"/>.</summary>
    public Tensor Loss(Tensor x, Tensor prediction, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var target = Patches.Patchify(x, encoder.PatchSize); // [B, T, p·p·C]
        if (Options.NormPixLoss) target = MaskedMseLoss.NormalizedTargets(target);
        return MaskedMseLoss.Compute(prediction, target, mask).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<string> PictureColumns => ["original", "masked", "reconstruction"];

    /// <summary>Original | masked | reconstruction, as <see cref="Reconstruct"/> makes them.</summary>
    public Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        var r = Reconstruct(images, generator);
        return [r.Original, r.Masked, r.Reconstruction];
    }

    /// <summary>
    /// Reconstructs normalised images [B, C, H, W] at the configured mask ratio, in eval mode without gradients
    /// (train/eval modes are restored). The masks come from <paramref name="generator"/>, so a seed gives the same picture.
    /// </summary>
    public MaeReconstruction Reconstruct(Tensor images, Generator? generator)
    {
        var wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (_, prediction, mask) = ForwardMasked(images, generator);
            var p = encoder.PatchSize;
            var target = Patches.Patchify(images, p); // [B, T, P]
            if (Options.NormPixLoss)
            {
                var mean = target.mean([-1], keepdim: true);
                var std = (target.var(-1, unbiased: true, keepdim: true) + 1e-6).sqrt();
                prediction = prediction * std + mean;
            }
            var m = mask.unsqueeze(-1);                                     // [B, T, 1]
            var (c, gh, gw) = ((int)images.shape[1], (int)(images.shape[2] / p), (int)(images.shape[3] / p));
            var masked = Patches.Unpatchify(target * (1 - m), p, c, gh, gw);
            var pasted = Patches.Unpatchify(target * (1 - m) + prediction * m, p, c, gh, gw);
            return new MaeReconstruction(images.clone().MoveToOuterDisposeScope(), masked.MoveToOuterDisposeScope(), pasted.MoveToOuterDisposeScope());
        }
        finally
        {
            train(wasTraining);
        }
    }
}
