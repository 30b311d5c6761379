using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>
/// Gives every empty cluster of a partition some rows by splitting a large cluster in two, as k-means
/// implementations do when a centroid loses all its points (faiss, which DeepCluster uses, perturbs a copy of a
/// big cluster's centroid; Caron et al. 2018 §3.3 "Empty clusters"). Here the largest cluster is cut at the median
/// of its rows' coordinate along its first principal axis, so both halves are non-empty even for duplicate rows.
/// </summary>
public static class EmptyClusters
{
    /// <summary>
    /// A copy of <paramref name="assignments"/> (cluster ids in [0, <paramref name="k"/>) of the rows of
    /// <paramref name="x"/> [N, D]) in which every cluster has at least one row. While a cluster is empty, the
    /// largest one (lowest id on ties) keeps the rows below its median along its first principal axis and the
    /// empty one takes the rest. Clusters that already have rows are left alone.
    /// </summary>
    public static long[] Split(Tensor x, long[] assignments, int k)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        if (x.dim() != 2 || x.shape[0] != assignments.Length)
            throw new ArgumentException($"empty clusters: data must be [N, D] with N = {assignments.Length} (one row per assignment), got [{string.Join(", ", x.shape)}]");
        if (k <= 0 || k > assignments.Length) throw new ArgumentException($"empty clusters: k must be in [1, {assignments.Length}] (the number of rows), got {k}");
        var result = (long[])assignments.Clone();
        var counts = new long[k];
        foreach (var a in result)
        {
            if (a < 0 || a >= k) throw new ArgumentException($"empty clusters: assignment {a} is outside [0, {k})");
            counts[a]++;
        }
        using var scope = NewDisposeScope();
        using var cpu = x.to(ScalarType.Float64).cpu();
        for (var empty = 0; empty < k; empty++)
        {
            if (counts[empty] > 0) continue;
            var largest = Array.IndexOf(counts, counts.Max()); // ≥ 2 rows: k ≤ N and a cluster is empty
            var rows = Enumerable.Range(0, result.Length).Where(i => result[i] == largest).Select(i => (long)i).ToArray();
            using var index = tensor(rows);
            using var members = cpu.index_select(0, index); // [m, D]
            using var along = PcaProjection.Project(members, 1).select(1, 0); // [m]
            using var order = along.argsort(); // [m], ascending
            var sorted = order.data<long>().ToArray();
            var keep = rows.Length / 2;
            for (var j = keep; j < sorted.Length; j++) result[rows[sorted[j]]] = empty;
            counts[empty] = sorted.Length - keep;
            counts[largest] = keep;
        }
        return result;
    }
}
