using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>Which triplets (anchor, positive, negative) of a labelled batch the triplet loss is taken over.</summary>
public enum TripletMining
{
    /// <summary>
    /// Every valid triplet of the batch (Hermans et al. 2017, "In Defense of the Triplet Loss", "batch all"):
    /// averaged over the triplets with a positive loss (their BA≠0) or over all valid ones, see
    /// <see cref="TripletLossOptions.AverageOverActive"/>. Memory grows as N × P, P the number of (anchor, positive) pairs.
    /// </summary>
    BatchAll,
    /// <summary>
    /// Per anchor, its farthest positive against its nearest negative (Hermans et al. 2017, "batch hard");
    /// the mean over anchors that have both.
    /// </summary>
    BatchHard,
    /// <summary>
    /// Per (anchor, positive) pair, the nearest negative farther from the anchor than the positive (Schroff et al.
    /// 2015, FaceNet, eq. 4: semi-hard negatives lie between d(a, p) and d(a, p) + α, so a nearest one beyond the
    /// margin gives zero loss); when every negative is nearer than the positive, the farthest negative, as
    /// TensorFlow Addons' <c>triplet_semihard_loss</c> falls back ("uses the largest negative distance instead").
    /// The mean over all (anchor, positive) pairs whose anchor has a negative. Memory grows as N × P, P the number of (anchor, positive) pairs.
    /// </summary>
    SemiHard,
}

/// <summary>The distance d between two embeddings in the triplet loss.</summary>
public enum TripletDistance
{
    /// <summary>‖x − y‖₂, as PyTorch's <c>TripletMarginLoss</c> (p = 2), Hermans et al. 2017 and TensorFlow Addons' "L2".</summary>
    Euclidean,
    /// <summary>‖x − y‖₂², as FaceNet's loss (Schroff et al. 2015, eq. 1).</summary>
    SquaredEuclidean,
}

/// <summary>Settings of a mined <see cref="TripletLoss"/> over a labelled batch.</summary>
public sealed record TripletLossOptions
{
    /// <summary>α, the gap the loss asks between d(a, n) and d(a, p). FaceNet uses 0.2 on unit-norm embeddings.</summary>
    public double Margin { get; init; } = 0.2;
    /// <summary>Which triplets the loss is taken over; batch-hard by default (Hermans et al. 2017's best variant).</summary>
    public TripletMining Mining { get; init; } = TripletMining.BatchHard;
    /// <summary>The distance; Euclidean by default (PyTorch's <c>TripletMarginLoss</c>, Hermans et al. 2017).</summary>
    public TripletDistance Distance { get; init; } = TripletDistance.Euclidean;
    /// <summary>L2-normalise the embeddings first, putting them on FaceNet's unit hypersphere (‖f(x)‖₂ = 1).</summary>
    public bool Normalize { get; init; } = true;
    /// <summary>
    /// Batch-all only: average over the triplets with a positive loss (Hermans et al. 2017's BA≠0, which keeps the
    /// loss from fading as easy triplets grow in number) instead of over every valid triplet.
    /// </summary>
    public bool AverageOverActive { get; init; } = true;
    /// <summary>
    /// Hermans et al. 2017's soft margin: ln(1 + exp(d(a, p) − d(a, n))) instead of max(0, d(a, p) − d(a, n) + α)
    /// (<see cref="Margin"/> is then unused). It has no flat region: every triplet keeps pulling, and a batch whose
    /// embeddings all coincide scores ln 2 instead of sitting at the hinge's α.
    /// </summary>
    public bool SoftMargin { get; init; }
}

/// <summary>
/// The triplet loss (Schroff et al. 2015, "FaceNet"): mean of max(0, d(a, p) − d(a, n) + α) over triplets of an
/// anchor a, a positive p of its class and a negative n of another class. Either the triplets are given
/// (<see cref="Compute(Tensor, Tensor, Tensor, double, bool, TripletDistance)"/>) or they are mined from a batch of
/// embeddings with integer labels, rows with equal labels being positives of each other (<see cref="TripletMining"/>).
/// Distances are exact: no ε is added (PyTorch's <c>pairwise_distance</c> adds 1e-6 to the difference), and a zero
/// distance has a zero gradient instead of the square root's infinite one.
/// </summary>
public static class TripletLoss
{
    /// <summary>
    /// The loss of given triplets: rows i of <paramref name="anchors"/>, <paramref name="positives"/> and
    /// <paramref name="negatives"/> [B, D] form one triplet; the mean over the B triplets.
    /// </summary>
    public static Tensor Compute(Tensor anchors, Tensor positives, Tensor negatives, double margin, bool normalize,
        TripletDistance distance = TripletDistance.Euclidean)
    {
        if (anchors.dim() != 2 || !anchors.shape.SequenceEqual(positives.shape) || !anchors.shape.SequenceEqual(negatives.shape))
            throw new ArgumentException($"triplet loss: anchors, positives and negatives must all be [B, D], got [{Shape(anchors)}], [{Shape(positives)}] and [{Shape(negatives)}]");
        if (anchors.shape[0] < 1) throw new ArgumentException("triplet loss: expected at least 1 triplet, got 0");
        ValidateMargin(margin);
        using var scope = NewDisposeScope();
        var (a, p, n) = normalize
            ? (Unit(anchors), Unit(positives), Unit(negatives))
            : (anchors, positives, negatives);
        var dap = Distance((a - p).pow(2).sum(1), distance);                  // [B]
        var dan = Distance((a - n).pow(2).sum(1), distance);                  // [B]
        return nn.functional.relu(dap - dan + margin).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss of the triplets mined from <paramref name="embeddings"/> [N, D] with <paramref name="labels"/> [N]
    /// (integers; equal labels are positives of each other) by <see cref="TripletLossOptions.Mining"/>.
    /// </summary>
    public static Tensor Compute(Tensor embeddings, Tensor labels, TripletLossOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (embeddings.dim() != 2) throw new ArgumentException($"triplet loss: embeddings must be [N, D], got [{Shape(embeddings)}]");
        if (labels.dim() != 1 || labels.shape[0] != embeddings.shape[0])
            throw new ArgumentException($"triplet loss: labels must be [{embeddings.shape[0]}] (one per embedding row), got [{Shape(labels)}]");
        if (labels.is_floating_point() || labels.is_complex())
            throw new ArgumentException($"triplet loss: labels must be integers, got {labels.dtype}");
        ValidateMargin(options.Margin);
        using var scope = NewDisposeScope();
        var x = options.Normalize ? Unit(embeddings) : embeddings;
        var d = PairwiseDistances(x, options.Distance);                       // [N, N]
        var n = labels.shape[0];
        var l = labels.to(d.device);
        var same = l.unsqueeze(1).eq(l.unsqueeze(0));                         // [N, N]
        var positive = same.logical_and(eye(n, dtype: ScalarType.Bool, device: d.device).logical_not()); // [N, N], a ≠ p
        var negative = same.logical_not();                                    // [N, N]
        if (!positive.any(1).logical_and(negative.any(1)).any().item<bool>())
            throw new ArgumentException("triplet loss: the batch has no valid triplet; expected at least one label with 2 rows and one other label");
        Func<Tensor, Tensor> hinge = options.SoftMargin ? gap => nn.functional.softplus(gap) : gap => nn.functional.relu(gap + options.Margin);
        var loss = options.Mining switch
        {
            TripletMining.BatchAll => BatchAll(d, positive, negative, hinge, options.AverageOverActive),
            TripletMining.BatchHard => BatchHard(d, positive, negative, hinge),
            TripletMining.SemiHard => SemiHard(d, positive, negative, hinge),
            _ => throw new ArgumentException($"triplet loss: unknown mining {options.Mining}"),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Distances between all rows of <paramref name="x"/> [N, D] → [N, N], from the Gram matrix
    /// (‖x_i‖² + ‖x_j‖² − 2 x_i·x_j, clamped at 0), with an exactly zero diagonal.
    /// </summary>
    public static Tensor PairwiseDistances(Tensor x, TripletDistance distance)
    {
        using var scope = NewDisposeScope();
        var norms = x.pow(2).sum(1);                                          // [N]
        var squared = (norms.unsqueeze(1) + norms.unsqueeze(0) - 2 * x.mm(x.t())).clamp_min(0); // [N, N]
        squared = squared.masked_fill(eye(x.shape[0], dtype: ScalarType.Bool, device: x.device), 0);
        return Distance(squared, distance).MoveToOuterDisposeScope();
    }

    // hinge(gap) of gap = d(a, p) − d(a, n): max(0, gap + α), or the soft margin softplus(gap).
    static Tensor BatchAll(Tensor d, Tensor positive, Tensor negative, Func<Tensor, Tensor> hinge, bool averageOverActive)
    {
        var (a, dap) = PositivePairs(d, positive, negative);                  // [M], [M]
        var valid = negative.index_select(0, a);                              // [M, N(n)]
        var losses = hinge(dap.unsqueeze(1) - d.index_select(0, a)).mul(valid); // [M, N]
        var count = averageOverActive ? losses.gt(0).sum().clamp_min(1) : valid.sum();
        return losses.sum() / count;
    }

    static Tensor BatchHard(Tensor d, Tensor positive, Tensor negative, Func<Tensor, Tensor> hinge)
    {
        var anchors = positive.any(1).logical_and(negative.any(1));          // [N]
        var hardestPositive = d.masked_fill(positive.logical_not(), double.NegativeInfinity).amax(1); // [N]
        var hardestNegative = d.masked_fill(negative.logical_not(), double.PositiveInfinity).amin(1); // [N]
        return hinge((hardestPositive - hardestNegative).masked_select(anchors)).mean();
    }

    static Tensor SemiHard(Tensor d, Tensor positive, Tensor negative, Func<Tensor, Tensor> hinge)
    {
        var (a, dap) = PositivePairs(d, positive, negative);                  // [M], [M]
        var da = d.index_select(0, a);                                        // [M, N(n)]: d(a, n)
        var farther = negative.index_select(0, a).logical_and(da.gt(dap.unsqueeze(1))); // [M, N]: d(a, n) > d(a, p)
        var nearestFarther = da.masked_fill(farther.logical_not(), double.PositiveInfinity).amin(1); // [M]
        var farthest = d.masked_fill(negative.logical_not(), double.NegativeInfinity).amax(1).index_select(0, a); // [M]
        return hinge(dap - where(farther.any(1), nearestFarther, farthest)).mean();
    }

    /// <summary>
    /// The (anchor, positive) pairs whose anchor also has a negative, in row-major order: each pair's anchor row and
    /// d(a, p). Mining per pair keeps memory at M × N instead of N³; with two views per image M = N.
    /// </summary>
    static (Tensor Anchor, Tensor Distance) PositivePairs(Tensor d, Tensor positive, Tensor negative)
    {
        var pairs = positive.logical_and(negative.any(1, keepdim: true)).nonzero(); // [M, 2]: (a, p)
        var a = pairs.select(1, 0);
        return (a, d.index(a, pairs.select(1, 1)));
    }

    /// <summary>‖·‖₂ from squared distances, with a zero gradient (instead of an infinite one) where they are 0.</summary>
    static Tensor Distance(Tensor squared, TripletDistance distance)
    {
        if (distance == TripletDistance.SquaredEuclidean) return squared.alias();
        var zero = squared.le(0);
        return where(zero, zeros_like(squared), squared.clamp_min(1e-30).sqrt());
    }

    static Tensor Unit(Tensor x) => nn.functional.normalize(x, dim: 1);

    static void ValidateMargin(double margin)
    {
        if (!(margin >= 0) || double.IsInfinity(margin))
            throw new ArgumentException($"triplet loss: margin must be finite and ≥ 0, got {margin}");
    }

    static string Shape(Tensor t) => string.Join(", ", t.shape);
}
