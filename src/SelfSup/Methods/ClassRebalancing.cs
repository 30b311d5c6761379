using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Class rebalancing of Zhang et al. 2016 (§2.2, eq. 3–4): the empirical bin distribution p is smoothed with a
/// Gaussian kernel in ab space, mixed with the uniform distribution, and each bin's loss weight is the inverse of the
/// mix, w ∝ ((1 − λ)·p̃ + λ/Q)⁻¹, normalised so its expectation under p̃ is 1: Σ_q p̃_q·w_q = 1. Rare, saturated
/// colours then weigh as much as the desaturated ones that dominate natural images.
/// </summary>
public static class ClassRebalancing
{
    /// <summary>
    /// p̃ = G_σ * p: each bin's probability spread over the bins with weights exp(−‖c_q − c_r‖²/2σ²), then
    /// renormalised to sum 1. <paramref name="frequencies"/> [Q] (counts or probabilities), <paramref name="centers"/> [Q, 2].
    /// </summary>
    public static Tensor Smooth(Tensor frequencies, Tensor centers, double sigma)
    {
        if (!(sigma >= 0)) throw new ArgumentException($"colorization.smoothing_sigma: expected ≥ 0, got {sigma}");
        using var scope = NewDisposeScope();
        var p = frequencies.to(ScalarType.Float64);
        if (sigma > 0)
        {
            var c = centers.to(ScalarType.Float64);
            var kernel = cdist(c.unsqueeze(0), c.unsqueeze(0)).squeeze(0).pow(2).div(-2 * sigma * sigma).exp(); // [Q, Q]
            p = kernel.matmul(p);
        }
        return (p / p.sum()).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Weights w [Q] ∝ 1/((1 − λ)·p̃ + λ/Q), scaled so Σ p̃·w = 1, for a smoothed distribution p̃ [Q] summing to 1.</summary>
    public static Tensor Weights(Tensor smoothed, double lambda)
    {
        if (!(lambda > 0 && lambda <= 1)) throw new ArgumentException($"colorization.rebalance_lambda: expected a mix in (0, 1], got {lambda}");
        using var scope = NewDisposeScope();
        var p = smoothed.to(ScalarType.Float64);
        var w = (p * (1 - lambda) + lambda / p.shape[0]).reciprocal(); // [Q]
        w = w / (p * w).sum();
        return w.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
