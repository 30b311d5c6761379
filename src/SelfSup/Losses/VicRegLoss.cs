using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// The VICReg loss and its three unweighted terms, as facebookresearch/vicreg main_vicreg.py computes them:
/// <see cref="Invariance"/> the mean squared error between the views, <see cref="Variance"/> the hinge on the standard
/// deviation averaged over the two branches, <see cref="Covariance"/> the off-diagonal covariance summed over the two
/// branches. <see cref="Loss"/> = λ·invariance + μ·variance + ν·covariance.
/// </summary>
public sealed record VicRegTerms(Tensor Loss, Tensor Invariance, Tensor Variance, Tensor Covariance) : IDisposable
{
    public void Dispose()
    {
        Loss.Dispose();
        Invariance.Dispose();
        Variance.Dispose();
        Covariance.Dispose();
    }
}

/// <summary>
/// VICReg (Bardes et al. 2022, "VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning",
/// eq. 1–6), normalised as facebookresearch/vicreg main_vicreg.py:
/// <list type="bullet">
/// <item>invariance s(Z, Z′) = mean over N·D entries of (z − z′)² (<c>F.mse_loss</c>; the paper's eq. 5 divides by N only);</item>
/// <item>variance v(Z) = (1/D) Σⱼ max(0, γ − √(Var(zⱼ) + ε)) with the unbiased (÷ (N − 1)) variance, γ = 1, ε = 1e-4,
/// averaged over the two branches (the code's /2 each; the paper's eq. 6 adds v(Z) + v(Z′));</item>
/// <item>covariance c(Z) = (1/D) Σᵢ≠ⱼ C(Z)ᵢⱼ², C(Z) = (Z − Z̄)ᵀ(Z − Z̄) / (N − 1), summed over the two branches.</item>
/// </list>
/// Weights λ = μ = 25, ν = 1. One process: the statistics are over the local batch (the reference gathers the
/// embeddings of every process first; its invariance term is per process).
/// </summary>
public static class VicRegLoss
{
    /// <summary>λ, the invariance weight (paper and code: 25).</summary>
    public const double DefaultInvarianceWeight = 25;
    /// <summary>μ, the variance weight (paper and code: 25).</summary>
    public const double DefaultVarianceWeight = 25;
    /// <summary>ν, the covariance weight (paper and code: 1).</summary>
    public const double DefaultCovarianceWeight = 1;
    /// <summary>γ, the target standard deviation of each dimension (paper and code: 1).</summary>
    public const double DefaultGamma = 1;
    /// <summary>ε under the square root of the variance (paper and code: 1e-4).</summary>
    public const double DefaultEpsilon = 1e-4;

    /// <summary>The loss and its terms for the embeddings of two views, [N, D] each, N ≥ 2.</summary>
    public static VicRegTerms Compute(Tensor z1, Tensor z2,
        double invarianceWeight = DefaultInvarianceWeight, double varianceWeight = DefaultVarianceWeight,
        double covarianceWeight = DefaultCovarianceWeight, double gamma = DefaultGamma, double epsilon = DefaultEpsilon)
    {
        Validate(z1, z2);
        foreach (var (name, value) in new[] { ("invariance_weight", invarianceWeight), ("variance_weight", varianceWeight), ("covariance_weight", covarianceWeight), ("epsilon", epsilon) })
            if (!(value >= 0)) throw new ArgumentException($"VICReg: {name} must be ≥ 0, got {value}");
        using var scope = NewDisposeScope();
        var invariance = (z1 - z2).pow(2).mean();
        var variance = (Variance(z1, gamma, epsilon) + Variance(z2, gamma, epsilon)) / 2;
        var covariance = Covariance(z1) + Covariance(z2);
        var loss = invariance * invarianceWeight + variance * varianceWeight + covariance * covarianceWeight;
        return new VicRegTerms(loss.MoveToOuterDisposeScope(), invariance.MoveToOuterDisposeScope(),
            variance.MoveToOuterDisposeScope(), covariance.MoveToOuterDisposeScope());
    }

    /// <summary>v(Z) = (1/D) Σⱼ max(0, γ − √(Var(zⱼ) + ε)) for one branch [N, D], unbiased variance: a scalar.</summary>
    public static Tensor Variance(Tensor z, double gamma = DefaultGamma, double epsilon = DefaultEpsilon)
    {
        ValidateOne(z);
        using var scope = NewDisposeScope();
        var centred = z - z.mean([0L], keepdim: true);                         // [N, D]
        var std = (centred.pow(2).sum([0L]) / (z.shape[0] - 1) + epsilon).sqrt(); // [D]
        return nn.functional.relu(gamma - std).mean().MoveToOuterDisposeScope();
    }

    /// <summary>c(Z) = (1/D) Σᵢ≠ⱼ C(Z)ᵢⱼ² with C(Z) = (Z − Z̄)ᵀ(Z − Z̄) / (N − 1), for one branch [N, D]: a scalar.</summary>
    public static Tensor Covariance(Tensor z)
    {
        ValidateOne(z);
        using var scope = NewDisposeScope();
        var centred = z - z.mean([0L], keepdim: true);                         // [N, D]
        var cov = centred.t().matmul(centred) / (z.shape[0] - 1);              // [D, D]
        var offDiagonal = cov - diag_embed(cov.diagonal());                    // [D, D], zero diagonal
        return (offDiagonal.pow(2).sum() / z.shape[1]).MoveToOuterDisposeScope();
    }

    static void ValidateOne(Tensor z)
    {
        if (z.dim() != 2 || z.shape[0] < 2)
            throw new ArgumentException($"VICReg: embeddings must be [N, D] with N ≥ 2, got [{string.Join(", ", z.shape)}]");
    }

    static void Validate(Tensor z1, Tensor z2)
    {
        if (z1.dim() != 2 || !z1.shape.SequenceEqual(z2.shape) || z1.shape[0] < 2)
            throw new ArgumentException($"VICReg: both views' embeddings must be [N, D] with N ≥ 2, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
    }
}
