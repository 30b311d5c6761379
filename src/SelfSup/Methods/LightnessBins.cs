using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// The quantised CIE L axis of split-brain autoencoders (Zhang, Isola and Efros 2017: the ab → L network classifies
/// each pixel's L into 50 bins): <see cref="Count"/> bins of equal width over L ∈ [0, 100]; bin k holds
/// L ∈ [k·w, (k + 1)·w), w = 100/<see cref="Count"/>, and L = 100 falls in the last bin.
/// </summary>
public sealed class LightnessBins
{
    /// <summary>The top of the L axis (white).</summary>
    public const double MaxLightness = 100;

    /// <param name="count">Bins over L ∈ [0, 100] (paper: 50, each 2 L units wide).</param>
    public LightnessBins(int count = 50)
    {
        if (count < 2) throw new ArgumentException($"split-brain.lightness_bins: expected ≥ 2 bins, got {count}");
        Count = count;
    }

    /// <summary>Number of bins.</summary>
    public int Count { get; }

    /// <summary>L units per bin.</summary>
    public double Width => MaxLightness / Count;

    /// <summary>The bin index [B, H, W] (int64) of each pixel of an L batch [B, 1, H, W]; L outside [0, 100] goes to the end bins.</summary>
    public Tensor Quantise(Tensor l)
    {
        if (l.dim() != 4 || l.shape[1] != 1)
            throw new ArgumentException($"L quantisation needs [B, 1, H, W], found [{string.Join(", ", l.shape)}]");
        using var scope = NewDisposeScope();
        return l.squeeze(1).div(Width).floor_().clamp_(0, Count - 1).to(ScalarType.Int64).MoveToOuterDisposeScope(); // [B, H, W]
    }

    /// <summary>The centre of each bin as a tensor [K, 1] on <paramref name="device"/>: (k + ½)·w.</summary>
    public Tensor CenterTensor(Device device) => arange(Count, ScalarType.Float32, device).add_(0.5).mul_(Width).view(Count, 1);
}
