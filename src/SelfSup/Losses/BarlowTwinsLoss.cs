using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// The Barlow Twins loss and its two terms: <see cref="Invariance"/> Σᵢ(1 − Cᵢᵢ)², unweighted
/// <see cref="Redundancy"/> Σᵢ≠ⱼ Cᵢⱼ², and <see cref="Loss"/> = invariance + λ · redundancy.
/// </summary>
public sealed record BarlowTwinsTerms(Tensor Loss, Tensor Invariance, Tensor Redundancy) : IDisposable
{
    public void Dispose()
    {
        Loss.Dispose();
        Invariance.Dispose();
        Redundancy.Dispose();
    }
}

/// <summary>
/// Barlow Twins (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy Reduction", eq. 1–2).
/// Each view's embeddings z [N, D] are standardised per dimension over the batch — the official code's
/// <c>BatchNorm1d(D, affine=False)</c> in training mode: biased variance, ε = 1e-5 inside the square root — and the
/// cross-correlation is C = z̃₁ᵀz̃₂ / N [D, D], so Cᵢⱼ ∈ [−1, 1]. The loss drives C towards the identity:
/// L = Σᵢ(1 − Cᵢᵢ)² + λ Σᵢ Σⱼ≠ᵢ Cᵢⱼ². The paper states λ = 5·10⁻³; facebookresearch/barlowtwins main.py defaults to
/// 0.0051 (<see cref="DefaultLambda"/>). One process: C is over the local batch (the reference all-reduces the
/// per-process C, each divided by the global batch).
/// </summary>
public static class BarlowTwinsLoss
{
    /// <summary>λ, the weight of the redundancy-reduction term (official code: 0.0051; paper text: 5·10⁻³).</summary>
    public const double DefaultLambda = 0.0051;

    /// <summary>ε added to the variance before the square root (PyTorch BatchNorm's default).</summary>
    public const double DefaultEpsilon = 1e-5;

    /// <summary>(z − mean) / √(var + ε) per column over the batch, with the biased (÷ N) variance: [N, D] → [N, D].</summary>
    public static Tensor Standardize(Tensor z, double epsilon = DefaultEpsilon)
    {
        if (z.dim() != 2 || z.shape[0] < 2)
            throw new ArgumentException($"Barlow Twins: embeddings must be [N, D] with N ≥ 2, got [{string.Join(", ", z.shape)}]");
        using var scope = NewDisposeScope();
        var centred = z - z.mean([0L], keepdim: true);                          // [N, D]
        var variance = centred.pow(2).mean([0L], keepdim: true);                // [1, D], biased as BatchNorm's
        return (centred / (variance + epsilon).sqrt()).MoveToOuterDisposeScope(); // [N, D]
    }

    /// <summary>The empirical cross-correlation C = z̃₁ᵀz̃₂ / N of the standardised embeddings: [N, D] × [N, D] → [D, D].</summary>
    public static Tensor CrossCorrelation(Tensor z1, Tensor z2, double epsilon = DefaultEpsilon)
    {
        Validate(z1, z2);
        using var scope = NewDisposeScope();
        var c = Standardize(z1, epsilon).t().matmul(Standardize(z2, epsilon)); // [D, D]
        return c.div_(z1.shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>The loss and its terms for the embeddings of two views, [N, D] each.</summary>
    public static BarlowTwinsTerms Compute(Tensor z1, Tensor z2, double lambda = DefaultLambda, double epsilon = DefaultEpsilon)
    {
        if (!(lambda >= 0)) throw new ArgumentException($"Barlow Twins: lambda must be ≥ 0, got {lambda}");
        if (!(epsilon >= 0)) throw new ArgumentException($"Barlow Twins: epsilon must be ≥ 0, got {epsilon}");
        using var scope = NewDisposeScope();
        var c = CrossCorrelation(z1, z2, epsilon);                             // [D, D]
        var diagonal = c.diagonal();                                           // [D]
        var invariance = (1 - diagonal).pow(2).sum();
        var redundancy = (c - diag_embed(diagonal)).pow(2).sum();              // off-diagonal entries only
        var loss = invariance + redundancy * lambda;
        return new BarlowTwinsTerms(loss.MoveToOuterDisposeScope(), invariance.MoveToOuterDisposeScope(), redundancy.MoveToOuterDisposeScope());
    }

    /// <summary>The loss alone: Σᵢ(1 − Cᵢᵢ)² + λ Σᵢ≠ⱼ Cᵢⱼ².</summary>
    public static Tensor Loss(Tensor z1, Tensor z2, double lambda = DefaultLambda, double epsilon = DefaultEpsilon)
    {
        var terms = Compute(z1, z2, lambda, epsilon);
        terms.Invariance.Dispose();
        terms.Redundancy.Dispose();
        return terms.Loss;
    }

    static void Validate(Tensor z1, Tensor z2)
    {
        if (z1.dim() != 2 || !z1.shape.SequenceEqual(z2.shape) || z1.shape[0] < 2)
            throw new ArgumentException($"Barlow Twins: both views' embeddings must be [N, D] with N ≥ 2, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
    }
}
