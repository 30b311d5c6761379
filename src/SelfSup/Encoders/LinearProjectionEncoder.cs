using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// A fixed linear map of the flattened pixels, z = ((x − μ) Wᵀ) ⊙ s: the PCA representation (W the principal axes,
/// s 1 or the whitening factors). μ [D], W [k, D] and s [k] are buffers, not parameters, so they are saved and loaded
/// with a checkpoint like any encoder's weights and no optimiser moves them. Before a fit it is a random orthonormal
/// projection (μ = 0, s = 1): the honest untrained counterpart of a PCA, the same dimension without looking at the data.
/// Input is the normalised batch [B, C, H, W]; its features and its embedding are both the k coordinates.
/// </summary>
public sealed class LinearProjectionEncoder : Encoder
{
    readonly Tensor mean;
    readonly Tensor components;
    readonly Tensor scale;
    readonly long[] inputShape;

    /// <summary>
    /// A random orthonormal projection of [<paramref name="channels"/>, <paramref name="imageSize"/>, <paramref name="imageSize"/>]
    /// images onto <paramref name="dimension"/> directions, drawn from <paramref name="generator"/> (the global one when null).
    /// </summary>
    public LinearProjectionEncoder(int channels, int imageSize, int dimension, Generator? generator = null) : base(nameof(LinearProjectionEncoder))
    {
        if (channels < 1) throw new ArgumentException($"linear projection: channels must be ≥ 1, got {channels}");
        if (imageSize < 1) throw new ArgumentException($"linear projection: image size must be ≥ 1, got {imageSize}");
        inputShape = [channels, imageSize, imageSize];
        var d = (long)channels * imageSize * imageSize;
        if (dimension < 1 || dimension > d)
            throw new ArgumentException($"linear projection: dimension must be in [1, {d}] (C·H·W of {channels}×{imageSize}×{imageSize} images), got {dimension}");
        EmbeddingDim = dimension;
        mean = zeros(d);                                             // [D]
        components = RandomOrthonormalRows(dimension, d, generator); // [k, D]
        scale = ones(dimension);                                     // [k]
        RegisterComponents();
    }

    public override int EmbeddingDim { get; }

    /// <summary>D = C·H·W, the length of a flattened input image.</summary>
    public long InputDim => mean.shape[0];

    /// <summary>μ [D], subtracted from every flattened image.</summary>
    public Tensor Mean => mean;
    /// <summary>W [k, D], the directions projected onto (orthonormal rows).</summary>
    public Tensor Components => components;
    /// <summary>s [k], the factor of each coordinate (1, or 1/√λ when whitened).</summary>
    public Tensor Scale => scale;

    /// <summary>Replaces μ [D], W [k, D] and s [k] (converted to the buffers' dtype and device).</summary>
    public void Set(Tensor newMean, Tensor newComponents, Tensor newScale)
    {
        if (!newMean.shape.SequenceEqual(mean.shape) || !newComponents.shape.SequenceEqual(components.shape) || !newScale.shape.SequenceEqual(scale.shape))
            throw new ArgumentException($"linear projection: expected mean [{InputDim}], components [{EmbeddingDim}, {InputDim}], scale [{EmbeddingDim}]; " +
                $"got [{string.Join(", ", newMean.shape)}], [{string.Join(", ", newComponents.shape)}], [{string.Join(", ", newScale.shape)}]");
        using var noGrad = no_grad();
        mean.copy_(newMean);
        components.copy_(newComponents);
        scale.copy_(newScale);
    }

    /// <summary>The k coordinates [B, k] of a normalised batch [B, C, H, W].</summary>
    public override Tensor ForwardFeatures(Tensor x)
    {
        if (x.dim() != 4 || !x.shape.Skip(1).SequenceEqual(inputShape))
            throw new ArgumentException($"linear projection expects [B, {string.Join(", ", inputShape)}] images, got [{string.Join(", ", x.shape)}]");
        using var flat = x.flatten(1) - mean;             // [B, D]
        using var projected = flat.matmul(components.t()); // [B, k]
        return projected * scale;                          // [B, k]
    }

    /// <summary>The coordinates are already the embedding [B, k].</summary>
    public override Tensor Pool(Tensor features) => features.alias();

    static Tensor RandomOrthonormalRows(int rows, long columns, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var (q, r) = linalg.qr(randn([columns, rows], generator: generator)); // q [D, k], orthonormal columns
        // Columns times the signs of R's diagonal: uniformly distributed (Haar) rather than biased by QR's sign convention.
        var signs = r.diagonal().sign();                                     // [k]
        signs = where(signs == 0, ones_like(signs), signs);
        return (q * signs).t().contiguous().MoveToOuterDisposeScope();       // [k, D]
    }
}
