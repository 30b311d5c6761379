using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// SwAV's online codes (Caron et al. 2020, §3.1, eq. 3 and appendix A.1): soft assignments of B samples to K
/// prototypes that maximise Tr(Qᵀ Cᵀ Z) + ε H(Q) under the equal-partition constraint — each prototype receives
/// the same share of the batch — solved approximately by a few Sinkhorn–Knopp iterations on Q = exp(scores / ε)ᵀ.
/// Q [K, B] is first scaled to sum to 1; then each iteration scales its rows to sum to 1/K (every prototype gets
/// an equal share) and its columns to 1/B (every sample is assigned once). The returned codes are B·Qᵀ [B, K]: each
/// row sums to 1 exactly (the last step is the column step), each column sums to about B/K. No gradient flows.
/// </summary>
public static class Sinkhorn
{
    /// <summary>ε, the entropic regularisation (paper and main_swav.py: 0.05; smaller gives sharper codes).</summary>
    public const double DefaultEpsilon = 0.05;

    /// <summary>Sinkhorn–Knopp iterations (paper and main_swav.py: 3).</summary>
    public const int DefaultIterations = 3;

    /// <summary>
    /// Codes [B, K] for prototype scores <paramref name="scores"/> [B, K] (dot products of L2-normalised embeddings
    /// and prototypes). The scores are shifted by their maximum before exp, which the first normalisation cancels
    /// exactly, so large scores or small ε cannot overflow. With <paramref name="collectives"/> spanning several
    /// processes, the sums run over every process's rows (B is the global batch), as the reference's
    /// distributed_sinkhorn does; each process gets the codes of its own rows.
    /// </summary>
    public static Tensor Codes(Tensor scores, double epsilon = DefaultEpsilon, int iterations = DefaultIterations, ICollectives? collectives = null)
    {
        if (scores.dim() != 2) throw new ArgumentException($"Sinkhorn: scores must be [B, K], found [{string.Join(", ", scores.shape)}]", nameof(scores));
        if (scores.shape[0] < 1 || scores.shape[1] < 1) throw new ArgumentException($"Sinkhorn: scores must have at least one row and one column, found [{string.Join(", ", scores.shape)}]", nameof(scores));
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Sinkhorn: epsilon must be > 0");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Sinkhorn: iterations must be ≥ 1");
        var world = collectives ?? SingleProcess.Instance;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor Sum(Tensor x) => world.WorldSize == 1 ? x : world.AllReduceMean(x) * world.WorldSize;
        var s = scores.detach();
        var shift = world.WorldSize == 1 ? s.max() : world.AllReduceMean(s.max()); // one constant on every process
        var q = s.sub(shift).div(epsilon).exp().t();     // [K, B]
        var k = q.shape[0];
        var b = q.shape[1] * world.WorldSize;            // samples assigned over all processes
        q = q / Sum(q.sum());                            // [K, B], sums to 1
        for (int i = 0; i < iterations; i++)
        {
            q = q / Sum(q.sum(1L, keepdim: true)) / k;    // rows: each prototype holds 1/K
            q = q / q.sum(0L, keepdim: true) / b;         // columns: each sample holds 1/B
        }
        return (q * b).t().MoveToOuterDisposeScope();    // [B, K], rows sum to 1
    }
}
