using TorchSharp;
using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// InfoNCE (van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding"): each query must
/// pick its positive key out of a set of negatives by a softmax over similarities / τ,
/// L = −mean log( exp(q·k⁺/τ) / (exp(q·k⁺/τ) + Σ exp(q·k⁻/τ)) ).
/// The one loss of the contrastive family: the negatives are the other rows' keys in the batch (SimCLR, MoCo v3,
/// CPC), a queue of past keys (MoCo v2), or both. Similarities are cosines unless <c>normalize</c> is false.
/// NT-Xent (<see cref="NtXentLoss"/>) is its symmetric form over 2N views.
/// </summary>
public static class InfoNceLoss
{
    /// <summary>
    /// The loss for queries [N, D] whose positives are the rows of <paramref name="keys"/> [N, D] (row i ↔ row i).
    /// </summary>
    /// <param name="temperature">τ (&gt; 0).</param>
    /// <param name="queue">Extra negatives shared by every query, [M, D] (MoCo's queue), or null.</param>
    /// <param name="batchNegatives">The other rows' keys are negatives too; false: only the queue's (MoCo v2).</param>
    /// <param name="excluded">[N, N] booleans: (query, key) pairs left out of the softmax, e.g. a view against itself.</param>
    /// <param name="normalize">Compare L2-normalised rows (cosine similarity), as every method here does.</param>
    /// <param name="world">
    /// In data-parallel training, the batch negatives are every rank's keys (gathered, with the gradient reaching each
    /// rank's own), so each rank's queries see the negatives of the global batch as one process would; null: this process's.
    /// </param>
    public static Tensor Compute(Tensor queries, Tensor keys, double temperature, Tensor? queue = null, bool batchNegatives = true,
        Tensor? excluded = null, bool normalize = true, ICollectives? world = null)
    {
        using var scope = NewDisposeScope();
        var (logits, targets) = Logits(queries, keys, temperature, queue, batchNegatives, excluded, normalize, world);
        return nn.functional.cross_entropy(logits, targets).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The logits [N, C] and the index of each query's positive [N] that <see cref="Compute"/> takes the cross-entropy
    /// of. With batch negatives the columns are the N keys (positive i at column i) then the queue; without, the
    /// positive (column 0) then the queue. Useful on its own for the contrastive top-1 accuracy.
    /// </summary>
    public static (Tensor Logits, Tensor Targets) Logits(Tensor queries, Tensor keys, double temperature, Tensor? queue = null,
        bool batchNegatives = true, Tensor? excluded = null, bool normalize = true, ICollectives? world = null)
    {
        if (!(temperature > 0)) throw new ArgumentException($"InfoNCE: temperature must be > 0, got {temperature}");
        if (queries.dim() != 2 || !queries.shape.SequenceEqual(keys.shape))
            throw new ArgumentException($"InfoNCE: queries and keys must be two [N, D] tensors of the same shape, got [{string.Join(", ", queries.shape)}] and [{string.Join(", ", keys.shape)}]");
        var (n, d) = (queries.shape[0], queries.shape[1]);
        if (queue is not null && (queue.dim() != 2 || queue.shape[1] != d))
            throw new ArgumentException($"InfoNCE: the queue must be [M, {d}], got [{string.Join(", ", queue.shape)}]");
        if (!batchNegatives && (queue is null || queue.shape[0] == 0))
            throw new ArgumentException("InfoNCE: without batch negatives a non-empty queue of negatives is needed");
        if (batchNegatives && n < 2 && (queue is null || queue.shape[0] == 0))
            throw new ArgumentException($"InfoNCE: in-batch negatives need at least 2 rows, got {n}");
        if (excluded is not null && (!batchNegatives || !excluded.shape.SequenceEqual(new[] { n, n }) || excluded.dtype != ScalarType.Bool))
            throw new ArgumentException($"InfoNCE: excluded must be a [{n}, {n}] bool tensor and needs batch negatives, got [{string.Join(", ", excluded.shape)}] {excluded.dtype}");
        using var scope = NewDisposeScope();
        var q = normalize ? nn.functional.normalize(queries, dim: 1) : queries;     // [N, D]
        var k = normalize ? nn.functional.normalize(keys, dim: 1) : keys;           // [N, D]
        Tensor logits, targets;
        if (batchNegatives)
        {
            var ranks = world?.WorldSize ?? 1;
            // With R ranks the keys are every rank's, rank-major: this rank's own block (its positives) starts at rank·N.
            var allKeys = ranks == 1 ? k : world!.AllGather(k);                     // [R·N, D]
            logits = q.matmul(allKeys.t());                                         // [N, R·N]: positives on the own block's diagonal
            var offset = ranks == 1 ? 0 : world!.Rank * n;
            if (excluded is not null)
                logits = logits.masked_fill(ranks == 1 ? excluded : nn.functional.pad(excluded, [offset, (ranks - 1) * n - offset]), float.NegativeInfinity);
            targets = arange(offset, offset + n, dtype: ScalarType.Int64, device: queries.device);
        }
        else
        {
            logits = (q * k).sum(1, keepdim: true);                                 // [N, 1]
            targets = zeros(n, ScalarType.Int64, device: queries.device);
        }
        if (queue is not null && queue.shape[0] > 0)
        {
            var bank = (normalize ? nn.functional.normalize(queue, dim: 1) : queue).detach().to(q.dtype); // [M, D]
            logits = cat([logits, q.matmul(bank.t())], 1);                          // [N, C + M]
        }
        logits = logits.div(temperature);
        return (logits.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// InfoNCE with each anchor's own negatives: anchors [N, D], positives [N, D], negatives [N, K, D]; cosine
    /// similarities, positive at column 0.
    /// </summary>
    public static Tensor PerAnchor(Tensor anchors, Tensor positives, Tensor negatives, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentException($"InfoNCE: temperature must be > 0, got {temperature}");
        if (anchors.dim() != 2 || !anchors.shape.SequenceEqual(positives.shape))
            throw new ArgumentException($"InfoNCE: anchors and positives must be two [N, D] tensors of the same shape, got [{string.Join(", ", anchors.shape)}] and [{string.Join(", ", positives.shape)}]");
        if (negatives.dim() != 3 || negatives.shape[0] != anchors.shape[0] || negatives.shape[2] != anchors.shape[1])
            throw new ArgumentException($"InfoNCE: negatives must be [N, K, D] = [{anchors.shape[0]}, K, {anchors.shape[1]}], got [{string.Join(", ", negatives.shape)}]");
        using var scope = NewDisposeScope();
        var a = nn.functional.normalize(anchors, dim: 1);                        // [N, D]
        var p = nn.functional.normalize(positives, dim: 1);                      // [N, D]
        var k = nn.functional.normalize(negatives, dim: 2);                      // [N, K, D]
        var pos = (a * p).sum(1, keepdim: true);                                 // [N, 1]
        var neg = k.bmm(a.unsqueeze(2)).squeeze(2);                              // [N, K]
        var logits = cat([pos, neg], 1).div_(temperature);                       // [N, 1 + K]
        var targets = zeros(anchors.shape[0], ScalarType.Int64, device: anchors.device);
        return nn.functional.cross_entropy(logits, targets).MoveToOuterDisposeScope();
    }
}
