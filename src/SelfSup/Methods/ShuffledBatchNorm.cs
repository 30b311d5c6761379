using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// A one-device stand-in for MoCo's shuffling BN (He et al. 2020, §3.3). With BatchNorm over the whole batch, a
/// query and its positive key share batch statistics, and the model can find its positive from them instead of the
/// image content (the paper's "cheating" by intra-batch communication). MoCo runs BN per GPU and shuffles the
/// keys across GPUs; here the batch is cut into sub-batches that BN sees one at a time, the queries in their order
/// and the keys after a random permutation, so a query's sub-batch and its key's are drawn independently.
/// </summary>
public static class ShuffledBatchNorm
{
    /// <summary>
    /// <paramref name="forward"/> over <paramref name="x"/> [B, ...] in sub-batches of <paramref name="subBatch"/>
    /// rows (the last may be smaller), in the order <paramref name="permutation"/> [B] gives (null: as they come);
    /// the outputs are put back in <paramref name="x"/>'s row order. <paramref name="subBatch"/> ≤ 0 or ≥ B: one pass.
    /// </summary>
    public static Tensor Forward(Func<Tensor, Tensor> forward, Tensor x, int subBatch, Tensor? permutation = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var b = x.shape[0];
        if (permutation is not null && (permutation.dim() != 1 || permutation.shape[0] != b))
            throw new ArgumentException($"ShuffledBatchNorm: the permutation must be [{b}], got [{string.Join(", ", permutation.shape)}]");
        if (subBatch <= 0 || subBatch >= b && permutation is null) return forward(x);
        using var scope = NewDisposeScope();
        var shuffled = permutation is null ? x : x.index_select(0, permutation);          // [B, ...]
        var parts = shuffled.split(Math.Min(subBatch, b)).Select(forward).ToList();
        var output = cat(parts, 0);                                                        // [B, ...] in shuffled order
        if (permutation is not null) output = output.index_select(0, argsort(permutation)); // back to x's order
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A permutation of <paramref name="count"/> rows drawn from a generator seeded by the step, so that a resumed run
    /// shuffles exactly as an uninterrupted one.
    /// </summary>
    public static Tensor PermutationForStep(long step, long count, Device device)
    {
        using var generator = new Generator(unchecked((ulong)step * 0x9E3779B97F4A7C15UL + 0x5851F42D4C957F2DUL), new Device(DeviceType.CPU));
        using var p = randperm(count, generator: generator);
        return p.to(device);
    }
}
