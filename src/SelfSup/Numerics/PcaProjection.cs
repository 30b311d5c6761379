using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>
/// Principal component projection: the linear map onto the directions of largest variance. t-SNE runs on the first
/// 50 components (removes noise and makes the O(N²) distances cheap); the first 2 components are also the linear,
/// deterministic alternative to UMAP for pictures.
/// </summary>
public static class PcaProjection
{
    /// <summary>
    /// Rows of <paramref name="x"/> [N, D] projected onto their first <paramref name="components"/> principal axes
    /// (<see cref="PrincipalAxes"/>, exact SVD), float64 [N, min(components, D, N)] on x's device. Signs are fixed so
    /// each axis's largest-magnitude loading is positive, which makes the result independent of the SVD routine's sign choices.
    /// </summary>
    public static Tensor Project(Tensor x, int components)
    {
        if (x.dim() != 2) throw new ArgumentException($"PCA expects a [N, D] matrix, got [{string.Join(", ", x.shape)}]");
        if (components <= 0) throw new ArgumentException($"PCA components must be positive, got {components}");
        if (x.shape[0] < 2) throw new ArgumentException($"PCA needs at least 2 rows, got {x.shape[0]}");
        using var x64 = x.to(ScalarType.Float64); // [N, D]
        using var axes = PrincipalAxes.Fit(x64, (int)Math.Min(components, Math.Min(x.shape[0], x.shape[1])));
        return axes.Project(x64); // [N, k]
    }
}
