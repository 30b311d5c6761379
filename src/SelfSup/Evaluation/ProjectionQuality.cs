using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// Numbers that go with a 2-D picture of embeddings, so it is not judged by eye alone: how faithfully the layout keeps
/// each point's neighbourhood (k-NN preservation, trustworthiness) and how well classes separate in it.
/// </summary>
public static class ProjectionQuality
{
    const int RowBlock = 1024;

    /// <summary>
    /// Mean over points of |kNN_high(i) ∩ kNN_low(i)| / k: 1 when the layout keeps every neighbourhood, about k/N
    /// for a random layout. <paramref name="high"/> [N, D] and <paramref name="low"/> [N, d] are rows of the same points.
    /// </summary>
    public static double KnnPreservation(Tensor high, Tensor low, int k = 10)
    {
        Check(high, low, k);
        using var scope = NewDisposeScope();
        var a = Neighbours(high, k); // [N, k]
        var b = Neighbours(low, k); // [N, k]
        var shared = (a.unsqueeze(2) == b.unsqueeze(1)).any(2).sum(); // matches per row, summed
        return shared.to(ScalarType.Float64).item<double>() / (a.shape[0] * (double)k);
    }

    /// <summary>
    /// Trustworthiness (Venna and Kaski 2001): 1 − 2/(N·k·(2N − 3k − 1)) · Σ_i Σ_{j ∈ kNN_low(i)} max(0, r(i, j) − k),
    /// where r(i, j) is j's rank among i's neighbours in the input space. Penalises layout neighbours that were far
    /// apart in the input; 1 is perfect. Needs k &lt; N/2 − 1/2 so the normaliser stays positive.
    /// </summary>
    public static double Trustworthiness(Tensor high, Tensor low, int k = 10)
    {
        Check(high, low, k);
        var n = high.shape[0];
        if (2 * n - 3 * k - 1 <= 0) throw new ArgumentException($"trustworthiness needs 2N − 3k − 1 > 0, got N = {n}, k = {k}");
        using var scope = NewDisposeScope();
        var h = high.to(ScalarType.Float64);
        var lowNeighbours = Neighbours(low, k); // [N, k]
        double penalty = 0;
        for (long start = 0; start < n; start += RowBlock)
        {
            using var block = NewDisposeScope();
            var rows = Math.Min(RowBlock, n - start);
            var d = BlockDistances(h, start, rows); // [B, N], self = +inf
            var order = d.argsort(1); // [B, N], nearest first, self last
            var ranks = empty_like(order).scatter_(1, order, arange(1, n + 1, dtype: ScalarType.Int64, device: order.device).expand(rows, n)); // [B, N], 1-based
            var r = ranks.gather(1, lowNeighbours.narrow(0, start, rows)); // [B, k]
            penalty += (r - k).clamp_min(0).sum().to(ScalarType.Float64).item<double>();
        }
        return 1 - 2.0 / (n * (double)k * (2 * n - 3 * k - 1)) * penalty;
    }

    /// <summary>Leave-one-out k-NN majority-vote accuracy (%) of the labels in the layout: how well classes separate in the picture.</summary>
    public static double LayoutKnnAccuracy(Tensor low, long[] labels, int k = 10)
    {
        if (labels.Length != low.shape[0]) throw new ArgumentException($"{labels.Length} labels for {low.shape[0]} points");
        Check(low, low, k);
        using var scope = NewDisposeScope();
        var y = tensor(labels, ScalarType.Int64).to(low.device); // [N]
        var classes = labels.Max() + 1;
        var votes = nn.functional.one_hot(y[Neighbours(low, k)], classes).sum(1); // [N, C]
        var correct = (votes.argmax(1) == y).sum().to(ScalarType.Float64).item<double>();
        return 100.0 * correct / labels.Length;
    }

    /// <summary>Indices of each row's k nearest other rows (Euclidean), [N, k] int64.</summary>
    internal static Tensor Neighbours(Tensor x, int k)
    {
        using var scope = NewDisposeScope();
        var points = x.to(ScalarType.Float64);
        var n = points.shape[0];
        var result = empty([n, k], ScalarType.Int64, device: x.device);
        for (long start = 0; start < n; start += RowBlock)
        {
            using var block = NewDisposeScope();
            var rows = Math.Min(RowBlock, n - start);
            var d = BlockDistances(points, start, rows); // [B, N]
            result.narrow(0, start, rows).copy_(d.topk(k, 1, largest: false).indexes);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Squared distances from rows [start, start + rows) to all rows, [rows, N], with +inf at each row's self.</summary>
    static Tensor BlockDistances(Tensor points, long start, long rows)
    {
        var q = points.narrow(0, start, rows); // [B, D]
        var d = (q * q).sum(1, keepdim: true) + (points * points).sum(1).unsqueeze(0) - 2 * q.matmul(points.t()); // [B, N]
        var self = arange(rows, dtype: ScalarType.Int64, device: points.device).add(start).unsqueeze(1); // [B, 1]
        return d.clamp_min(0).scatter_(1, self, full([rows, 1], double.PositiveInfinity, ScalarType.Float64, device: points.device));
    }

    static void Check(Tensor high, Tensor low, int k)
    {
        if (high.dim() != 2 || low.dim() != 2)
            throw new ArgumentException($"expected [N, D] and [N, d] matrices, got [{string.Join(", ", high.shape)}] and [{string.Join(", ", low.shape)}]");
        if (high.shape[0] != low.shape[0])
            throw new ArgumentException($"input has {high.shape[0]} points but the layout has {low.shape[0]}");
        if (k <= 0 || k >= high.shape[0]) throw new ArgumentException($"k must be in [1, N − 1 = {high.shape[0] - 1}], got {k}");
    }
}
