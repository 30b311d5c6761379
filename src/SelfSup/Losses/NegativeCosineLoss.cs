using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// Losses of the non-contrastive Siamese methods: a prediction p of one view regresses a target z of the other view
/// on the unit sphere. BYOL (Grill et al. 2020) uses the normalised squared error ‖p̄ − z̄‖² = 2 − 2·cos(p, z);
/// SimSiam (Chen and He 2021) the negative cosine −cos(p, z). Both are symmetrised over the two view orders.
/// The stop-gradient on the targets is the caller's: pass z detached (or computed without gradient) to stop it.
/// </summary>
public static class NegativeCosineLoss
{
    /// <summary>cos(p_i, z_i) for every row of <paramref name="p"/>, <paramref name="z"/> [B, D] → [B].</summary>
    public static Tensor RowCosine(Tensor p, Tensor z)
    {
        Validate(p, z);
        using var scope = NewDisposeScope();
        var pn = nn.functional.normalize(p, dim: 1);                  // [B, D]
        var zn = nn.functional.normalize(z, dim: 1);                  // [B, D]
        return (pn * zn).sum(1).MoveToOuterDisposeScope();            // [B]
    }

    /// <summary>BYOL's per-sample loss (Grill et al. 2020, eq. 2): ‖p̄ − z̄‖² = 2 − 2·cos(p, z), [B, D] × [B, D] → [B].</summary>
    public static Tensor NormalizedSquaredError(Tensor p, Tensor z)
    {
        using var cos = RowCosine(p, z);
        return cos.mul(-2).add_(2);                                   // [B]
    }

    /// <summary>
    /// BYOL's symmetrised loss: the batch mean of ℓ(q₁, z₂′) + ℓ(q₂, z₁′), where qᵢ is the online prediction of view i
    /// and zᵢ′ the target projection of view i. The two orders are <b>summed</b>, as the paper's
    /// L_total = L + L̃ (eq. 2) and deepmind-research's byol_experiment.py (repr_loss = ℓ₁ + ℓ₂, then the batch
    /// mean), so the loss lies in [0, 8].
    /// </summary>
    public static Tensor Byol(Tensor q1, Tensor q2, Tensor z1, Tensor z2)
    {
        using var scope = NewDisposeScope();
        var loss = NormalizedSquaredError(q1, z2) + NormalizedSquaredError(q2, z1); // [B]
        return loss.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SimSiam's symmetrised loss (Chen and He 2021, eq. 2–3): −½ (mean cos(p₁, z₂) + mean cos(p₂, z₁)), in [−1, 1];
    /// −1 when every prediction points at the other view's projection.
    /// </summary>
    public static Tensor SimSiam(Tensor p1, Tensor p2, Tensor z1, Tensor z2)
    {
        using var scope = NewDisposeScope();
        var loss = (RowCosine(p1, z2).mean() + RowCosine(p2, z1).mean()).mul(-0.5);
        return loss.MoveToOuterDisposeScope();
    }

    static void Validate(Tensor p, Tensor z)
    {
        if (p.dim() != 2 || !p.shape.SequenceEqual(z.shape))
            throw new ArgumentException($"negative cosine loss: prediction and target must both be [B, D], got [{string.Join(", ", p.shape)}] and [{string.Join(", ", z.shape)}]");
    }
}
