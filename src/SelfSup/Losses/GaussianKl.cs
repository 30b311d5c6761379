using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// KL(q ‖ p) between a diagonal Gaussian q = N(μ, diag σ²) and the standard normal prior p = N(0, I), in closed form
/// (Kingma and Welling 2014, appendix B): ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²), summed over the latent dimensions.
/// </summary>
public static class GaussianKl
{
    /// <summary>μ and log σ², both [B, K] → the KL of each row, [B].</summary>
    public static Tensor ToStandardNormal(Tensor mu, Tensor logVariance)
    {
        if (mu.dim() != 2 || !mu.shape.SequenceEqual(logVariance.shape))
            throw new ArgumentException($"Gaussian KL: μ [{string.Join(", ", mu.shape)}] and log σ² [{string.Join(", ", logVariance.shape)}] must both be [B, K]");
        using var scope = NewDisposeScope();
        var kl = (mu.square() + logVariance.exp() - 1 - logVariance).sum(1) * 0.5; // [B]
        return kl.MoveToOuterDisposeScope();
    }
}
