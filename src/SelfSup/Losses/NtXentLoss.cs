using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// NT-Xent (SimCLR, Chen et al. 2020): <see cref="InfoNceLoss"/> in its symmetric form over 2N views, where each
/// view's positive is the other view of its image and the remaining 2N − 2 views in the batch are its negatives.
/// </summary>
public static class NtXentLoss
{
    /// <summary>
    /// NT-Xent over two batches of projections z1, z2 [N, D] (row i of z1 and z2 are views of one image).
    /// Mean over all 2N anchors, so swapping the views gives the same loss. In data-parallel training
    /// (<paramref name="world"/>) each rank's 2N anchors meet the 2N·R views of the global batch, and the mean over
    /// ranks is the one-process loss.
    /// </summary>
    public static Tensor Compute(Tensor z1, Tensor z2, double temperature, ICollectives? world = null)
    {
        if (z1.dim() != 2 || !z1.shape.SequenceEqual(z2.shape))
            throw new ArgumentException($"NT-Xent: expected two [N, D] tensors of the same shape, got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}]");
        if (z1.shape[0] < 2)
            throw new ArgumentException($"NT-Xent needs at least 2 images per batch (to have negatives), got {z1.shape[0]}");
        using var scope = NewDisposeScope();
        var n = z1.shape[0];
        // Queries [z1; z2] against keys [z2; z1]: query i's positive is key i, and query i itself sits at key (i + N) mod 2N.
        var self = eye(2 * n, dtype: ScalarType.Bool, device: z1.device).roll(n, 1); // [2N, 2N]
        return InfoNceLoss.Compute(cat([z1, z2], 0), cat([z2, z1], 0), temperature, excluded: self, world: world).MoveToOuterDisposeScope();
    }
}
