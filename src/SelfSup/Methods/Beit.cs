using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Heads;
using SelfSup.Numerics;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// BEiT hyperparameters (Bao et al. 2022, "BEiT: BERT Pre-Training of Image Transformers"). The training recipe
/// (AdamW, lr 1.5e-3, weight decay 0.05, warm-up, gradient clipping 3.0) is <see cref="Beit.Info"/>'s.
/// </summary>
public sealed record BeitOptions
{
    /// <summary>
    /// Discrete codes per patch. The paper's dVAE has 8192; our k-means codebook is fitted on one batch of small
    /// images (e.g. 256 × 64 patches of 4×4 pixels), which cannot populate 8192 codes, so the default is 512.
    /// </summary>
    public int CodebookSize { get; init; } = 512;
    /// <summary>Fraction of patches masked by block-wise masking; the paper's 40 %.</summary>
    public double MaskRatio { get; init; } = 0.4;
    /// <summary>Smallest masked block in patches; the paper uses 16 on a 14×14 grid, 4 suits an 8×8 grid.</summary>
    public int MinMaskBlock { get; init; } = 4;
    /// <summary>Lloyd iterations of the k-means tokenizer, fitted once on the first training batch.</summary>
    public int TokenizerIterations { get; init; } = 50;
    /// <summary>k-means++ restarts of the tokenizer fit (the lowest inertia is kept).</summary>
    public int TokenizerRestarts { get; init; } = 1;
    /// <summary>Smallest crop area of the random resized crop (BEiT: 0.08); flip as well, no colour jitter here.</summary>
    public double CropMinScale { get; init; } = 0.08;
}

/// <summary>
/// BEiT-style masked image modelling: every patch gets a discrete code from a k-means tokenizer over normalised
/// patch pixels (fitted on the first batch, stored as a buffer); about 40 % of patches, in blocks, have their
/// embedding replaced by a learned mask token; the ViT sees all tokens and a linear head predicts each masked
/// patch's code, scored by cross-entropy on masked positions only.
/// </summary>
public sealed class Beit : SslMethod
{
    readonly Vit encoder;
    readonly PatchTokenizer tokenizer;
    readonly Parameter mask_token;
    readonly Linear head;

    public Beit(Encoder encoder, BeitOptions options) : base(nameof(Beit), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.encoder = encoder as Vit
            ?? throw new ArgumentException($"beit: the encoder must be a ViT (vit-tiny, vit-small, vit-base), got {encoder.GetName()}");
        if (!(options.MaskRatio > 0 && options.MaskRatio < 1))
            throw new ArgumentException($"beit: mask_ratio must be in (0, 1), got {options.MaskRatio}");
        if (options.CodebookSize < 2) throw new ArgumentException($"beit: codebook_size must be ≥ 2, got {options.CodebookSize}");
        if (options.MinMaskBlock < 1) throw new ArgumentException($"beit: min_mask_block must be ≥ 1, got {options.MinMaskBlock}");
        if (options.TokenizerIterations < 1) throw new ArgumentException($"beit: tokenizer_iterations must be ≥ 1, got {options.TokenizerIterations}");
        if (options.TokenizerRestarts < 1) throw new ArgumentException($"beit: tokenizer_restarts must be ≥ 1, got {options.TokenizerRestarts}");
        Options = options;
        var p = this.encoder.PatchSize;
        var dim = this.encoder.EmbeddingDim;
        tokenizer = new PatchTokenizer(options.CodebookSize, p * p * this.encoder.Options.InChannels);
        mask_token = new Parameter(zeros(1, 1, dim));
        head = nn.Linear(dim, options.CodebookSize);
        RegisterComponents();
        using var noGrad = no_grad();
        TransformerInit.TruncatedNormal(mask_token, 0.02);
        TransformerInit.TruncatedNormal(head.weight, 0.02);
        head.bias!.zero_();
    }

    public BeitOptions Options { get; }

    public PatchTokenizer Tokenizer => tokenizer;

    public Linear Head => head;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "beit", "masked image modelling",
        "Bao et al. 2022, BEiT: BERT Pre-Training of Image Transformers (arXiv:2106.08254)",
        "ViT sees all patches, 40 % block-masked by a mask token; a linear head predicts masked patches' k-means codes",
        new Recipe
        {
            Source = "Bao et al. 2022, appendix (pre-training hyperparameters) and microsoft/unilm beit: AdamW β (0.9, 0.999), lr 1.5e-3 (not batch-scaled), weight decay 0.05, 10 warm-up epochs, gradient clipping 3.0",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 1.5e-3, WeightDecay = 0.05, WarmupEpochs = 10, GradClip = 3.0,
        },
        new BeitOptions(),
        (ctx, o) => new Beit(ctx.Encoder, o),
        (ctx, o) => MaeViews.ForImages(ctx.ImageSize, ctx.Stats, o.CropMinScale)) with { FineTuneGlobalPool = true };

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView("BEiT");
        if (!tokenizer.IsFitted) FitTokenizer(x);
        var (gh, gw) = ((int)(x.shape[2] / encoder.PatchSize), (int)(x.shape[3] / encoder.PatchSize));
        var mask = Masking.BlockWise(x.shape[0], gh, gw, Options.MaskRatio, generator: null, x.device, Options.MinMaskBlock); // [B, T]
        var features = ForwardMasked(x, mask);                       // [B, 1 + T, D]
        var codes = tokenizer.Encode(Patches.Patchify(x, encoder.PatchSize)); // [B, T]
        var (loss, accuracy) = Loss(features.narrow(1, 1, features.shape[1] - 1), codes, mask);
        var scalars = new Dictionary<string, Tensor>
        {
            ["token_accuracy"] = accuracy,
            ["embedding_std"] = Monitors.StdOfL2Normalized(encoder.Pool(features).detach()),
        };
        return new StepResult(loss, scalars);
    }

    /// <summary>Fits the codebook on the patches of <paramref name="x"/> [B, C, H, W] (done once, on the first batch).</summary>
    public void FitTokenizer(Tensor x)
    {
        using var scope = NewDisposeScope();
        var patches = Patches.Patchify(x, encoder.PatchSize); // [B, T, P]
        tokenizer.Fit(patches.reshape(-1, patches.shape[2]),
            new KMeansOptions { Restarts = Options.TokenizerRestarts, MaxIterations = Options.TokenizerIterations });
    }

    /// <summary>
    /// The ViT on <paramref name="x"/> [B, C, H, W] with the patch embeddings at <paramref name="mask"/> [B, T]
    /// (1 = masked) replaced by the mask token, before positions are added as in BEiT: [B, 1 + T, D].
    /// </summary>
    public Tensor ForwardMasked(Tensor x, Tensor mask) => encoder.ForwardMasked(x, mask, mask_token);

    /// <summary>
    /// Cross-entropy of the head's code prediction on the masked positions only, from patch features [B, T, D],
    /// target codes int64 [B, T] and mask [B, T] (1 = masked); also the fraction of masked codes predicted right.
    /// </summary>
    public (Tensor Loss, Tensor Accuracy) Loss(Tensor patchFeatures, Tensor codes, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var chosen = mask.to(ScalarType.Bool);                               // [B, T]
        if (!chosen.any().item<bool>()) throw new ArgumentException("beit: the mask has no masked token, so there is nothing to score");
        var logits = head.call(patchFeatures[chosen]);                       // [M, K]
        var targets = codes.to(logits.device)[chosen];                       // [M]
        var loss = nn.functional.cross_entropy(logits, targets);
        var accuracy = logits.detach().argmax(1).eq(targets).to(ScalarType.Float32).mean();
        return (loss.MoveToOuterDisposeScope(), accuracy.MoveToOuterDisposeScope());
    }
}
