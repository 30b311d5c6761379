using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>
/// A first-in-first-out ring buffer of <see cref="Capacity"/> feature rows of width <see cref="Dim"/>: MoCo's queue
/// of negative keys (He et al. 2020) and SwAV's queue of past features (Caron et al. 2020). The rows, the write
/// pointer and the number of valid rows are all buffers (the last two int64 scalars), so a checkpoint saves and
/// restores the queue exactly. Key i of a batch written at pointer p goes to slot (p + i) mod K, the way
/// enqueueing the keys one at a time would: MoCo requires K to be a multiple of the batch size, this queue does
/// not (a batch wraps around the end; a batch larger than K leaves only its last K keys).
/// </summary>
public sealed class FeatureQueue : nn.Module
{
    readonly Tensor features;
    readonly Tensor pointer;
    readonly Tensor count;

    /// <param name="capacity">K, the number of rows kept (MoCo: 65,536; SwAV: 3,840).</param>
    /// <param name="dim">D, the width of a row.</param>
    /// <param name="randomInit">
    /// Start full of random unit-length rows, as MoCo does (its first steps then contrast against noise); otherwise
    /// start empty and return only the rows written so far.
    /// </param>
    /// <param name="generator">Draws the random rows (null: libtorch's global generator).</param>
    public FeatureQueue(long capacity, long dim, bool randomInit = false, Generator? generator = null) : base(nameof(FeatureQueue))
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "FeatureQueue: capacity must be ≥ 1");
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "FeatureQueue: dim must be ≥ 1");
        (Capacity, Dim) = (capacity, dim);
        if (randomInit)
        {
            using var noise = randn(capacity, dim, generator: generator); // [K, D]
            features = nn.functional.normalize(noise, dim: 1);
        }
        else
        {
            features = zeros(capacity, dim); // [K, D]
        }
        pointer = tensor(0L);
        count = tensor(randomInit ? capacity : 0L);
        RegisterComponents();
    }

    /// <summary>K, the number of rows the queue holds when full.</summary>
    public long Capacity { get; }

    /// <summary>D, the width of a row.</summary>
    public long Dim { get; }

    /// <summary>The slot the next key goes to, in [0, K).</summary>
    public long Pointer => pointer.item<long>();

    /// <summary>The number of valid rows, in [0, K].</summary>
    public long Count => count.item<long>();

    public bool IsFull => Count == Capacity;

    /// <summary>
    /// A detached copy of the valid rows [Count, D] in slot order (not age order: once the queue has wrapped,
    /// the oldest row sits at <see cref="Pointer"/>). A copy, so that a later <see cref="Enqueue"/> (MoCo enqueues
    /// after computing its logits, before backward) cannot modify a tensor autograd has saved.
    /// </summary>
    public Tensor Features
    {
        get
        {
            using var scope = NewDisposeScope();
            return features.narrow(0, 0, Count).detach().clone().MoveToOuterDisposeScope(); // [Count, D]
        }
    }

    /// <summary>
    /// Writes <paramref name="keys"/> [B, D] (detached, cast to the queue's dtype and device) at the pointer,
    /// wrapping around the end, and advances the pointer by B modulo K.
    /// </summary>
    public void Enqueue(Tensor keys)
    {
        if (keys.dim() != 2 || keys.shape[1] != Dim)
            throw new ArgumentException($"FeatureQueue.Enqueue: keys must be [B, {Dim}], found [{string.Join(", ", keys.shape)}]", nameof(keys));
        var b = keys.shape[0];
        if (b == 0) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var p = Pointer;
        var first = Math.Max(0, b - Capacity);                               // keys before this are overwritten within the batch
        var kept = keys.detach().narrow(0, first, b - first).to(features.dtype, features.device); // [min(B, K), D]
        var slots = arange(p + first, p + b, dtype: ScalarType.Int64, device: features.device).remainder_(Capacity); // [min(B, K)]
        features.index_copy_(0, slots, kept);
        pointer.fill_((p + b) % Capacity);
        count.fill_(Math.Min(Capacity, Count + b));
    }
}
