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
    /// Rows of <paramref name="x"/> [N, D] projected onto their first <paramref name="components"/> principal axes,
    /// float64 [N, min(components, D, N)] on x's device. Signs are fixed so each axis's largest-magnitude loading is
    /// positive, which makes the result independent of the SVD routine's sign choices.
    /// </summary>
    public static Tensor Project(Tensor x, int components)
    {
        if (x.dim() != 2) throw new ArgumentException($"PCA expects a [N, D] matrix, got [{string.Join(", ", x.shape)}]");
        if (components <= 0) throw new ArgumentException($"PCA components must be positive, got {components}");
        if (x.shape[0] < 2) throw new ArgumentException($"PCA needs at least 2 rows, got {x.shape[0]}");
        using var scope = NewDisposeScope();
        var centred = x.to(ScalarType.Float64) - x.to(ScalarType.Float64).mean([0], keepdim: true); // [N, D]
        var (_, s, vh) = linalg.svd(centred, fullMatrices: false); // s [r], vh [r, D], descending s
        var k = (int)Math.Min(components, vh.shape[0]);
        var axes = vh.narrow(0, 0, k); // [k, D]
        var biggest = axes.abs().argmax(1, keepdim: true); // [k, 1]
        var signs = axes.gather(1, biggest).sign(); // [k, 1]
        signs = where(signs == 0, ones_like(signs), signs);
        return centred.matmul((axes * signs).t()).MoveToOuterDisposeScope(); // [N, k]
    }
}
