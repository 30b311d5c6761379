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
    /// <summary>ε of <see cref="PrincipalAxes.WhiteningScale"/> unless told otherwise: each variance is floored at 1e-6 × the largest.</summary>
    public const double DefaultRelativeEpsilon = 1e-6;

    /// <summary>
    /// Rows of <paramref name="x"/> [N, D] projected onto their first <paramref name="components"/> principal axes
    /// and scaled to unit variance, float64 [N, min(components, D, N)] on x's device. Each axis is divided by
    /// √(λ + ε·λ₁) with λ its variance and λ₁ the largest one, so directions without spread (λ ≈ 0) stay near 0
    /// instead of blowing noise up (<see cref="PrincipalAxes.WhiteningScale"/>).
    /// </summary>
    public static Tensor Whiten(Tensor x, int components, double relativeEpsilon = DefaultRelativeEpsilon)
    {
        if (!(relativeEpsilon >= 0)) throw new ArgumentException($"PCA whitening: relativeEpsilon must be ≥ 0, got {relativeEpsilon}");
        if (x.dim() != 2) throw new ArgumentException($"PCA expects a [N, D] matrix, got [{string.Join(", ", x.shape)}]");
        if (components <= 0) throw new ArgumentException($"PCA components must be positive, got {components}");
        using var scope = NewDisposeScope();
        var x64 = x.to(ScalarType.Float64); // [N, D]
        using var axes = PrincipalAxes.Fit(x64, (int)Math.Min(components, Math.Min(x.shape[0], x.shape[1])));
        return axes.Project(x64).mul_(axes.WhiteningScale(relativeEpsilon)).MoveToOuterDisposeScope(); // [N, k]
    }
}
