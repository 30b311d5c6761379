using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Context encoder hyperparameters (Pathak et al. 2016, "Context Encoders: Feature Learning by Inpainting"): the
/// autoencoder's options plus the region to fill in and the weighting of its border.
/// </summary>
public sealed record ContextEncoderOptions : AutoencoderOptions
{
    /// <summary>The hidden region: center (the paper's central square, the default of its feature-learning runs), random_blocks or random_region.</summary>
    public InpaintingMaskKind Mask { get; init; } = InpaintingMaskKind.Center;
    /// <summary>Share of each image hidden (paper: 1/4, the central 64 × 64 of 128 × 128; about 1/4 for its random masks).</summary>
    public double MaskRatio { get; init; } = 0.25;
    /// <summary>Width in pixels of the visible band around the hole that is also reconstructed (the paper's overlapPred: 4 px of 128; 0: the hole alone).</summary>
    public int Overlap { get; init; }
    /// <summary>Weight of the band's error relative to the hole's (the paper's overlapL2Weight: 10).</summary>
    public double OverlapWeight { get; init; } = 10;
}

/// <summary>
/// Context encoder (Pathak et al. 2016): a region of each image is hidden (<see cref="InpaintingMasks"/>: a central
/// square, random blocks or random regions), filled with 0 in normalised space — the dataset's mean colour, as the
/// paper fills it with the mean pixel — and the <see cref="Autoencoder"/>'s encoder, bottleneck code and decoder
/// predict the missing pixels. The loss is the reconstruction error on the hidden pixels only; with
/// <see cref="ContextEncoderOptions.Overlap"/> a band of visible pixels around the hole is reconstructed too, weighted
/// <see cref="ContextEncoderOptions.OverlapWeight"/>×. Only the paper's reconstruction (L2) loss is built, not its
/// adversarial one, which sharpens the pictures and which the paper leaves out of its feature-learning comparison
/// (its Table 2 reports the L2-only encoder beside the joint one). The representation is the code of the whole
/// image, as for the autoencoder: nothing is hidden outside training and pictures.
/// </summary>
public sealed class ContextEncoder : Autoencoder
{
    public ContextEncoder(Encoder encoder, int imageSize, int channels, ChannelStats stats, ContextEncoderOptions options)
        : base(nameof(ContextEncoder), encoder, imageSize, channels, stats, options)
    {
        if (!(options.MaskRatio > 0 && options.MaskRatio < 1)) throw new ArgumentException($"inpainting.mask_ratio: expected a number in (0, 1), got {options.MaskRatio}");
        if (options.Overlap < 0) throw new ArgumentException($"inpainting.overlap: expected ≥ 0 pixels, got {options.Overlap}");
        if (!(options.OverlapWeight >= 0)) throw new ArgumentException($"inpainting.overlap_weight: expected ≥ 0, got {options.OverlapWeight}");
        Inpainting = options;
        ImageSize = imageSize;
    }

    public ContextEncoderOptions Inpainting { get; }

    public int ImageSize { get; }

    public static new MethodInfo Info { get; } = MethodInfo.Of(
        "inpainting", "reconstruction",
        "Pathak et al. 2016, Context Encoders: Feature Learning by Inpainting (arXiv:1604.07379)",
        "hide a central square, random blocks or random regions; encoder → code → decoder predicts the hidden pixels, reconstruction error on them only (band around the hole weighted 10× as an option)",
        new Recipe
        {
            Source = "Pathak et al. 2016 (context_encoder train.lua): Adam lr 2e-4, β₁ 0.5, no weight decay, for any batch size",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 2e-4, WeightDecay = 0, AdamBeta1 = 0.5,
        },
        new ContextEncoderOptions(),
        (ctx, o) => new ContextEncoder(ctx.Encoder, ctx.ImageSize, ctx.Channels, ctx.Stats, o),
        (ctx, _) => UnaugmentedViews(ctx.Stats));

    /// <summary>Masks [B, 1, S, S] (1 = hidden) for a batch of <paramref name="batch"/>, drawn from <paramref name="generator"/> (null: the global one).</summary>
    public Tensor DrawMasks(long batch, Generator? generator, Device device) =>
        InpaintingMasks.Draw(Inpainting.Mask, batch, ImageSize, Inpainting.MaskRatio, generator, device);

    /// <summary>The images with the hidden pixels set to 0, the dataset's mean in normalised space: [B, C, H, W].</summary>
    public static Tensor Hide(Tensor x, Tensor mask) => x * (1 - mask);

    /// <summary>Per-pixel loss weights [B, 1, S, S]: 1 on the hole, the overlap weight on the band around it, 0 elsewhere.</summary>
    public Tensor LossWeights(Tensor mask)
    {
        if (Inpainting.Overlap == 0) return mask.alias();
        using var band = InpaintingMasks.Band(mask, Inpainting.Overlap);
        return mask + band * Inpainting.OverlapWeight;
    }

    /// <summary>The inpainting loss of <paramref name="output"/> for clean normalised images <paramref name="x"/> with holes <paramref name="mask"/>.</summary>
    public Tensor InpaintingLoss(Tensor output, Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        return Reconstruction.Weighted(output, Reconstruction.Target(x), LossWeights(mask)).MoveToOuterDisposeScope();
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView(GetName());                  // [B, C, S, S]
        var mask = DrawMasks(x.shape[0], null, x.device);      // [B, 1, S, S]
        var code = Representation.forward(Hide(x, mask));     // [B, K]
        var output = Decoder.forward(code);                   // [B, C, S, S]
        return new StepResult(InpaintingLoss(output, x, mask), new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(code.detach()),
        });
    }

    public override IReadOnlyList<string> PictureColumns => ["original", "masked", "inpainted"];

    /// <summary>Original | the image with its hole | the hole filled with the decoder's prediction (visible pixels kept).</summary>
    public override Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var mask = DrawMasks(images.shape[0], generator, images.device);
        var hidden = Hide(images, mask);
        var predicted = Reconstruction.ToModelInput(Decoder.forward(Representation.forward(hidden)));
        var filled = hidden + predicted * mask;
        return new[] { images.clone(), hidden, filled }.Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }
}
