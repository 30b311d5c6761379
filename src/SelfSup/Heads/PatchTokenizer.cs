using SelfSup.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// Discrete patch codes for masked token prediction: a k-means codebook over per-patch normalised pixels, each
/// patch mapped to its nearest centroid. It stands in for BEiT's dVAE tokenizer (Bao et al. 2022), which needs its
/// own large pretraining; a k-means codebook gives discrete targets for a few seconds of Lloyd iterations. The
/// codebook and a fitted flag are buffers, not parameters: no optimizer or gradient changes them, and checkpoints
/// carry them, so a resumed run keeps the same targets.
/// </summary>
public sealed class PatchTokenizer : nn.Module
{
    readonly Tensor codebook;
    readonly Tensor fitted;

    /// <param name="codes">Codebook size K.</param>
    /// <param name="patchValues">Values per patch P = p·p·C.</param>
    public PatchTokenizer(int codes, int patchValues) : base(nameof(PatchTokenizer))
    {
        if (codes < 2) throw new ArgumentException($"PatchTokenizer: codebook size must be ≥ 2, got {codes}");
        if (patchValues < 2) throw new ArgumentException($"PatchTokenizer: a patch needs ≥ 2 values to be normalised, got {patchValues}");
        Codes = codes;
        PatchValues = patchValues;
        codebook = zeros(codes, patchValues); // [K, P]
        fitted = zeros(1);                    // 1 once Fit has run
        RegisterComponents();
    }

    public int Codes { get; }

    public int PatchValues { get; }

    /// <summary>Centroids in normalised patch space, [K, P].</summary>
    public Tensor Codebook => codebook;

    public bool IsFitted => fitted.item<float>() > 0;

    /// <summary>Each patch minus its mean, over its standard deviation (MAE's norm_pix): codes describe shape, not brightness.</summary>
    public static Tensor Normalize(Tensor patches)
    {
        using var scope = NewDisposeScope();
        var mean = patches.mean([-1], keepdim: true);                   // [..., 1]
        var variance = patches.var(-1, unbiased: true, keepdim: true); // [..., 1]
        return ((patches - mean) / (variance + 1e-6).sqrt()).MoveToOuterDisposeScope();
    }

    /// <summary>Fits the codebook by k-means on the normalised rows of <paramref name="patches"/> [N, P] (N ≥ K); no gradient.</summary>
    public void Fit(Tensor patches, KMeansOptions options)
    {
        if (patches.dim() != 2 || patches.shape[1] != PatchValues)
            throw new ArgumentException($"PatchTokenizer.Fit: patches must be [N, {PatchValues}], got [{string.Join(", ", patches.shape)}]");
        if (patches.shape[0] < Codes)
            throw new ArgumentException($"PatchTokenizer.Fit: {patches.shape[0]} patches cannot fit a codebook of {Codes} codes; use a larger batch or a smaller codebook_size");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var result = KMeans.Fit(Normalize(patches.detach()), Codes, options);
        SetCodebook(result.Centroids);
    }

    /// <summary>Uses <paramref name="centroids"/> [K, P] (in normalised patch space) as the codebook.</summary>
    public void SetCodebook(Tensor centroids)
    {
        if (centroids.dim() != 2 || centroids.shape[0] != Codes || centroids.shape[1] != PatchValues)
            throw new ArgumentException($"PatchTokenizer: codebook must be [{Codes}, {PatchValues}], got [{string.Join(", ", centroids.shape)}]");
        using var noGrad = no_grad();
        codebook.copy_(centroids);
        fitted.fill_(1);
    }

    /// <summary>Index of the nearest code for every patch: [..., P] → int64 [...]; no gradient.</summary>
    public Tensor Encode(Tensor patches)
    {
        if (!IsFitted) throw new InvalidOperationException("PatchTokenizer.Encode: the codebook has not been fitted yet");
        if (patches.shape[^1] != PatchValues)
            throw new ArgumentException($"PatchTokenizer.Encode: patches must end in {PatchValues} values, got [{string.Join(", ", patches.shape)}]");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var rows = Normalize(patches.detach()).reshape(-1, PatchValues); // [N, P]
        var (_, index) = KMeans.Nearest(rows, codebook.to(rows.dtype));
        return index.reshape(patches.shape[..^1]).MoveToOuterDisposeScope();
    }
}
