using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>
/// PCA whitening: the <see cref="PcaProjection"/> coordinates divided by their standard deviation, so every kept
/// direction has unit variance and none dominates a Euclidean distance. DeepCluster (Caron et al. 2018, §3.3 and
/// clustering.py's preprocess_features, a faiss PCAMatrix with eigen_power −0.5) whitens the CNN features down to
/// 256 dimensions before k-means.
/// </summary>
public static class PcaWhitening
{
    /// <summary>
    /// Rows of <paramref name="x"/> [N, D] projected onto their first <paramref name="components"/> principal axes
    /// and scaled to unit variance, float64 [N, min(components, D, N)] on x's device. Each axis is divided by
    /// √(λ + ε·λ₁) with λ its variance and λ₁ the largest one, so directions without spread (λ ≈ 0) stay near 0
    /// instead of blowing noise up.
    /// </summary>
    public static Tensor Whiten(Tensor x, int components, double relativeEpsilon = 1e-6)
    {
        if (!(relativeEpsilon >= 0)) throw new ArgumentException($"PCA whitening: relativeEpsilon must be ≥ 0, got {relativeEpsilon}");
        using var scope = NewDisposeScope();
        var z = PcaProjection.Project(x, components); // [N, k], centred, descending variance
        var variance = z.square().mean([0], keepdim: true); // [1, k]
        var floor = relativeEpsilon * variance.max().item<double>();
        return z.div_(variance.add_(floor).sqrt_().clamp_min_(double.Epsilon)).MoveToOuterDisposeScope();
    }
}
