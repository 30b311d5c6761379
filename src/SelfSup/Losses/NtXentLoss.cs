using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// Contrastive losses on cosine similarities divided by a temperature τ.
/// InfoNCE (van den Oord et al. 2018) scores one positive against explicit negatives;
/// NT-Xent (SimCLR, Chen et al. 2020) is InfoNCE over 2N views where each view's positive is its pair
/// and the other 2N − 2 views are its negatives.
/// </summary>
public static class NtXentLoss
{
    /// <summary>
    /// NT-Xent over two batches of projections z1, z2 [N, D] (row i of z1 and z2 are views of one image).
    /// Mean over all 2N anchors, so swapping the views gives the same loss.
    /// </summary>
    public static Tensor Compute(Tensor z1, Tensor z2, double temperature)
    {
        Validate(z1, z2, temperature);
        if (z1.shape[0] < 2)
            throw new ArgumentException($"NT-Xent needs at least 2 images per batch (to have negatives), got {z1.shape[0]}");
        using var scope = NewDisposeScope();
        var n = z1.shape[0];
        var z = nn.functional.normalize(cat([z1, z2], 0), dim: 1);   // [2N, D]
        var logits = z.matmul(z.t()).div_(temperature);               // [2N, 2N]
        // A view is never its own negative: remove the diagonal from the softmax.
        var self = eye(2 * n, dtype: ScalarType.Bool, device: z1.device);
        logits = logits.masked_fill(self, float.NegativeInfinity);
        var idx = arange(n, device: z1.device);
        var targets = cat([idx + n, idx], 0);                          // [2N]: i ↔ i + N
        return nn.functional.cross_entropy(logits, targets).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// InfoNCE for anchors [N, D], positives [N, D] and negatives [N, K, D] (K negatives per anchor):
    /// mean of −log( exp(s⁺/τ) / (exp(s⁺/τ) + Σ exp(s⁻/τ)) ) with s the cosine similarity.
    /// </summary>
    public static Tensor InfoNce(Tensor anchors, Tensor positives, Tensor negatives, double temperature)
    {
        Validate(anchors, positives, temperature);
        if (negatives.dim() != 3 || negatives.shape[0] != anchors.shape[0] || negatives.shape[2] != anchors.shape[1])
            throw new ArgumentException($"negatives must be [N, K, D] = [{anchors.shape[0]}, K, {anchors.shape[1]}], got [{string.Join(", ", negatives.shape)}]");
        using var scope = NewDisposeScope();
        var a = nn.functional.normalize(anchors, dim: 1);                        // [N, D]
        var p = nn.functional.normalize(positives, dim: 1);                      // [N, D]
        var k = nn.functional.normalize(negatives, dim: 2);                      // [N, K, D]
        var pos = (a * p).sum(1, keepdim: true);                                 // [N, 1]
        var neg = k.bmm(a.unsqueeze(2)).squeeze(2);                              // [N, K]
        var logits = cat([pos, neg], 1).div_(temperature);                       // [N, 1 + K]
        var targets = zeros(anchors.shape[0], ScalarType.Int64, device: anchors.device); // the positive is column 0
        return nn.functional.cross_entropy(logits, targets).MoveToOuterDisposeScope();
    }

    static void Validate(Tensor a, Tensor b, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentException($"temperature must be > 0, got {temperature}");
        if (a.dim() != 2 || !a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"expected two [N, D] tensors of the same shape, got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}]");
    }
}
