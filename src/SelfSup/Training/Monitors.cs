using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>
/// Health signals of embedding batches, as tensor functions any method, test or report can call. Each detects
/// a different failure: <see cref="StdOfL2Normalized"/> complete collapse, <see cref="RankMe"/> dimensional
/// collapse, <see cref="Alignment"/> and <see cref="Uniformity"/> the two halves of the contrastive objective.
/// </summary>
public static class Monitors
{
    /// <summary>ε added to the normalised singular values in <see cref="RankMe"/> (the paper's value).</summary>
    public const double RankMeEpsilon = 1e-7;

    /// <summary>
    /// Mean over dimensions of the per-dimension std of L2-normalised embeddings [B, D]:
    /// ≈ 1/√D for well-spread embeddings, → 0 when every sample maps to the same point (collapse).
    /// </summary>
    public static Tensor StdOfL2Normalized(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(embeddings, dim: 1);
        return z.std(0).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// RankMe (Garrido et al. 2023, "RankMe: Assessing the Downstream Performance of Pretrained Self-Supervised
    /// Representations by Their Rank"): exp of the entropy of the singular values of [N, D] embeddings normalised
    /// to sum 1 (plus ε). A smooth effective rank in [1, min(N, D)]: ≈ 1 when all rows lie on one line, ≈ D when
    /// the embeddings use all directions equally. Computed on the raw (uncentred) embeddings, as in the paper.
    /// </summary>
    public static Tensor RankMe(Tensor embeddings, double epsilon = RankMeEpsilon)
    {
        if (embeddings.dim() != 2)
            throw new ArgumentException($"RankMe: embeddings must be [N, D], got [{string.Join(", ", embeddings.shape)}]");
        using var scope = NewDisposeScope();
        var s = linalg.svdvals(embeddings.to(ScalarType.Float32)); // [min(N, D)]
        var p = s.div(s.sum().clamp_min(1e-12)).add(epsilon); // [min(N, D)]
        return p.mul(p.log()).sum().neg().exp().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Alignment (Wang &amp; Isola 2020, "Understanding Contrastive Representation Learning through Alignment and
    /// Uniformity on the Hypersphere"): E‖f(x) − f(x⁺)‖^α over positive pairs (row i of <paramref name="x"/> with
    /// row i of <paramref name="y"/>), after L2 normalisation; 0 when the two views embed identically, at most 4
    /// (α = 2, opposite points). Lower is better.
    /// </summary>
    public static Tensor Alignment(Tensor x, Tensor y, double alpha = 2)
    {
        if (x.dim() != 2 || !x.shape.SequenceEqual(y.shape))
            throw new ArgumentException($"alignment: the two views must be [N, D] of equal shape, got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}]");
        using var scope = NewDisposeScope();
        var d = nn.functional.normalize(x, dim: 1).sub(nn.functional.normalize(y, dim: 1)); // [N, D]
        return d.norm(1).pow(alpha).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Uniformity (Wang &amp; Isola 2020): log E exp(−t‖f(x) − f(y)‖²) over all pairs of distinct rows, after L2
    /// normalisation. 0 when every row is the same point (collapse); more negative the more evenly the rows cover
    /// the sphere (−t·2 = −4 is the limit for t = 2 as D grows). Lower is better.
    /// </summary>
    public static Tensor Uniformity(Tensor x, double t = 2)
    {
        if (x.dim() != 2 || x.shape[0] < 2)
            throw new ArgumentException($"uniformity: needs [N, D] with N ≥ 2, got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var z = nn.functional.normalize(x.to(ScalarType.Float32), dim: 1); // [N, D]
        // ‖a − b‖² = 2 − 2·a·b on the unit sphere; clamp guards rounding below 0.
        var sq = z.matmul(z.t()).mul(-2).add(2).clamp_min(0); // [N, N]
        var upper = ones(n, n, ScalarType.Bool, z.device).triu(1); // [N, N], pairs i < j
        var exponents = sq.masked_select(upper).mul(-t); // [N(N−1)/2]
        // log mean exp, stable via logsumexp.
        return exponents.logsumexp(0).sub(Math.Log(exponents.shape[0])).MoveToOuterDisposeScope();
    }
}
