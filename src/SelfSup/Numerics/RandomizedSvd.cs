using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>
/// The leading singular triplets of a large matrix by randomized subspace iteration (Halko, Martinsson and Tropp 2011,
/// "Finding Structure with Randomness", Algorithms 4.4 and 5.1): sample the range of A with a Gaussian test matrix of
/// k + p columns (p: oversampling), sharpen it with q power iterations, each orthonormalised by QR so the small
/// singular values are not lost to rounding, then take the exact SVD of the small projection QᵀA. The cost is
/// O(N·D·(k + p)·(2q + 2)) instead of the exact SVD's O(N·D·min(N, D)); the error falls as (σ_{k+p+1}/σ_k)^(2q+1).
/// scikit-learn's randomized_svd follows the same scheme (10 oversamples, 4 to 7 power iterations by default).
/// </summary>
public static class RandomizedSvd
{
    /// <summary>Extra random directions beyond the rank asked for (Halko et al. §4.2: p = 5 or 10 is usually enough).</summary>
    public const int DefaultOversamples = 10;

    /// <summary>Power iterations (Halko et al. §4.5: q = 1 or 2 for quickly decaying spectra; image pixels decay slowly, so more).</summary>
    public const int DefaultPowerIterations = 4;

    /// <summary>
    /// The top <paramref name="rank"/> singular triplets of <paramref name="a"/> [N, D], in a's dtype and on its device:
    /// U [N, k], S [k] (descending), Vh [k, D]. The Gaussian test matrix is drawn from <paramref name="generator"/>
    /// (a CPU generator; the global one when null) and moved to a's device.
    /// </summary>
    public static (Tensor U, Tensor S, Tensor Vh) Compute(Tensor a, int rank, int oversamples = DefaultOversamples,
        int powerIterations = DefaultPowerIterations, Generator? generator = null)
    {
        if (a.dim() != 2) throw new ArgumentException($"randomized SVD expects a [N, D] matrix, got [{string.Join(", ", a.shape)}]");
        if (!a.is_floating_point()) throw new ArgumentException($"randomized SVD expects a floating-point matrix, got {a.dtype}");
        var smaller = Math.Min(a.shape[0], a.shape[1]);
        if (rank < 1 || rank > smaller) throw new ArgumentException($"randomized SVD: rank must be in [1, {smaller}] (min(N, D)), got {rank}");
        if (oversamples < 0) throw new ArgumentException($"randomized SVD: oversamples must be ≥ 0, got {oversamples}");
        if (powerIterations < 0) throw new ArgumentException($"randomized SVD: powerIterations must be ≥ 0, got {powerIterations}");
        using var scope = NewDisposeScope();
        var sketch = (int)Math.Min(rank + (long)oversamples, smaller);
        var omega = randn([a.shape[1], sketch], dtype: a.dtype, generator: generator).to(a.device); // [D, l]
        var q = Orthonormal(a.matmul(omega));                          // [N, l], basis of the sampled range
        for (int i = 0; i < powerIterations; i++)
        {
            var w = Orthonormal(a.t().matmul(q));                      // [D, l]
            q = Orthonormal(a.matmul(w));                              // [N, l]
        }
        var b = q.t().matmul(a);                                       // [l, D]
        var (ub, s, vh) = linalg.svd(b, fullMatrices: false);          // ub [l, l], s [l], vh [l, D]
        var u = q.matmul(ub.narrow(1, 0, rank));                       // [N, k]
        return (u.MoveToOuterDisposeScope(), s.narrow(0, 0, rank).contiguous().MoveToOuterDisposeScope(),
            vh.narrow(0, 0, rank).contiguous().MoveToOuterDisposeScope());
    }

    static Tensor Orthonormal(Tensor y)
    {
        var (q, _) = linalg.qr(y); // reduced: q [rows, l]
        return q;
    }
}
