using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// The masked-LM loss (Devlin et al. 2019 §3.1): cross-entropy between the predicted distribution over the vocabulary
/// and the original token, averaged over the chosen positions only (label ≠ <see cref="TokenMasking.Ignore"/>); the
/// other positions contribute nothing. Zero (still attached to the graph) when a batch has no chosen position.
/// </summary>
public static class MaskedTokenLoss
{
    /// <param name="logits">[..., V] scores (e.g. [B, T, V], or [M, V] already gathered at the chosen positions).</param>
    /// <param name="labels">int64 [...] matching the logits' leading dimensions: the original id, or −100 where not chosen.</param>
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        var v = logits.shape[^1];
        if (!logits.shape[..^1].SequenceEqual(labels.shape))
            throw new ArgumentException($"masked-token loss: logits [{string.Join(", ", logits.shape)}] and labels [{string.Join(", ", labels.shape)}] must agree on all but the last dimension");
        using var scope = NewDisposeScope();
        var flatLabels = labels.reshape(-1);       // [N]
        var chosen = ChosenPositions(flatLabels);  // [M]
        if (chosen.shape[0] == 0) return logits.sum().mul(0).MoveToOuterDisposeScope();
        var picked = logits.reshape(-1, v).index_select(0, chosen); // [M, V]
        return nn.functional.cross_entropy(picked, flatLabels.index_select(0, chosen)).MoveToOuterDisposeScope();
    }

    /// <summary>Flat indices [M] of the positions that carry a label (BERT's masked_lm_positions).</summary>
    public static Tensor ChosenPositions(Tensor flatLabels) => flatLabels.ne(TokenMasking.Ignore).nonzero().reshape(-1);
}
