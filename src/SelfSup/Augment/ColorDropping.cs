using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Colour dropping, the guard against chromatic-aberration shortcuts in patch-based pretext tasks (Doersch et al. 2015
/// §3.1; Hénaff et al. 2020): each normalised patch keeps one of its three channels, drawn uniformly, and the other two
/// become Gaussian noise of standard deviation <c>noiseStd</c> around 0, the dataset mean (Doersch: about 1/100 of the
/// channel's deviation; 0 sets them to the mean, as CPC does).
/// </summary>
public static class ColorDropping
{
    /// <summary>Normalised patches [N, 3, p, p] with two channels dropped per patch; patches of other channel counts pass unchanged. Draws from <paramref name="generator"/> (null: the global generator).</summary>
    public static Tensor Apply(Tensor patches, Generator? generator = null, double noiseStd = 0)
    {
        if (patches.dim() != 4) throw new ArgumentException($"ColorDropping: patches must be [N, C, p, p], got {patches.dim()} dimensions");
        if (noiseStd < 0) throw new ArgumentException($"ColorDropping: noiseStd must be ≥ 0, got {noiseStd}");
        if (patches.shape[1] != 3) return patches;
        using var scope = NewDisposeScope();
        var keep = randint(0, 3, [patches.shape[0], 1, 1, 1], generator: generator).to(patches.device);  // [N, 1, 1, 1]
        var channel = arange(3, device: patches.device).view(1, 3, 1, 1);                                 // [1, 3, 1, 1]
        var kept = channel.eq(keep);                                                                      // [N, 3, 1, 1]
        var dropped = noiseStd > 0
            ? randn(patches.shape, generator: generator).mul_(noiseStd).to(patches.dtype).to(patches.device)  // [N, 3, p, p]
            : zeros_like(patches);
        return where(kept, patches, dropped).MoveToOuterDisposeScope();                                   // [N, 3, p, p]
    }
}
