using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// MAE's reconstruction loss (He et al. 2022): mean squared error per patch, averaged over the masked patches only
/// — visible patches carry no loss, so the model is scored solely on what it could not see.
/// </summary>
public static class MaskedMseLoss
{
    /// <summary>Σ_t mask_t · mean_j (pred_tj − target_tj)² / Σ_t mask_t, with pred/target [B, T, P] and mask [B, T] (1 = masked).</summary>
    public static Tensor Compute(Tensor prediction, Tensor target, Tensor mask)
    {
        if (prediction.dim() != 3 || !prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"masked MSE: prediction and target must be equal [B, T, P], got [{string.Join(", ", prediction.shape)}] and [{string.Join(", ", target.shape)}]");
        if (mask.dim() != 2 || mask.shape[0] != prediction.shape[0] || mask.shape[1] != prediction.shape[1])
            throw new ArgumentException($"masked MSE: mask must be [{prediction.shape[0]}, {prediction.shape[1]}], got [{string.Join(", ", mask.shape)}]");
        using var scope = NewDisposeScope();
        var m = mask.to(prediction.dtype);
        var count = m.sum();
        if (count.item<float>() == 0) throw new ArgumentException("masked MSE: the mask has no masked token, so there is nothing to score");
        var perPatch = (prediction - target).square().mean([-1]); // [B, T]
        return perPatch.mul(m).sum().div(count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// MAE's norm_pix_loss target: each patch normalised by its own mean and (unbiased) variance,
    /// (x − μ) / √(σ² + 1e-6), over its P values. Improves representation quality in the paper's ablation (Table 1d).
    /// </summary>
    public static Tensor NormalizedTargets(Tensor patches)
    {
        using var scope = NewDisposeScope();
        var mean = patches.mean([-1], keepdim: true);                   // [B, T, 1]
        var variance = patches.var(-1, unbiased: true, keepdim: true); // [B, T, 1]
        return ((patches - mean) / (variance + 1e-6).sqrt()).MoveToOuterDisposeScope();
    }
}
