namespace SelfSup.Evaluation;

/// <summary>
/// Agreement between a clustering and the true classes, all invariant to renaming the clusters: normalised mutual
/// information (arithmetic-mean normalisation, scikit-learn's default), adjusted Rand index (Hubert and Arabie
/// 1985), and cluster accuracy (the best one-to-one cluster → class mapping, found with the Hungarian algorithm).
/// Labels are arbitrary int64 ids; they need not be contiguous.
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>MI(U, V) / ((H(U) + H(V)) / 2) in [0, 1], natural logarithms; 1 when both labelings are a single group.</summary>
    public static double Nmi(long[] truth, long[] predicted)
    {
        var table = Contingency(truth, predicted, nameof(Nmi));
        int rows = table.GetLength(0), cols = table.GetLength(1);
        if (rows == cols && rows <= 1) return 1.0;
        var (a, b) = Marginals(table);
        double n = truth.Length;
        var mi = 0.0;
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                if (table[i, j] > 0)
                    mi += table[i, j] / n * Math.Log(n * table[i, j] / ((double)a[i] * b[j]));
        var mean = (Entropy(a, n) + Entropy(b, n)) / 2;
        // One side constant and the other not: no information is shared.
        return mean <= 0 ? 0.0 : Math.Clamp(Math.Max(mi, 0) / mean, 0, 1);
    }

    /// <summary>(RI − E[RI]) / (max RI − E[RI]) over pairs: 1 for identical partitions, ≈ 0 for independent ones.</summary>
    public static double Ari(long[] truth, long[] predicted)
    {
        var table = Contingency(truth, predicted, nameof(Ari));
        var (a, b) = Marginals(table);
        double sumCells = 0, sumA = 0, sumB = 0;
        foreach (var c in table) sumCells += Pairs(c);
        foreach (var x in a) sumA += Pairs(x);
        foreach (var x in b) sumB += Pairs(x);
        var expected = sumA * sumB / Pairs(truth.Length);
        var max = (sumA + sumB) / 2;
        // Both partitions trivial in the same way (one group each, or all singletons): they agree perfectly.
        if (max == expected) return 1.0;
        return (sumCells - expected) / (max - expected);
    }

    /// <summary>Percent of samples whose cluster maps to their class under the best one-to-one mapping.</summary>
    public static double Accuracy(long[] truth, long[] predicted)
    {
        var table = Contingency(truth, predicted, nameof(Accuracy));
        int classes = table.GetLength(0), clusters = table.GetLength(1);
        // Maximising matches = minimising (max − count) over a cluster → class assignment.
        var max = table.Cast<long>().DefaultIfEmpty(0).Max();
        var cost = new double[clusters, classes];
        for (var c = 0; c < clusters; c++)
            for (var k = 0; k < classes; k++)
                cost[c, k] = max - table[k, c];
        var assignment = ClusteringMatching.Solve(cost);
        long matched = 0;
        for (var c = 0; c < clusters; c++)
            if (assignment[c] >= 0) matched += table[assignment[c], c];
        return 100.0 * matched / truth.Length;
    }

    /// <summary>Counts n[i, j] of samples with the i-th distinct true label and the j-th distinct predicted label (ascending ids).</summary>
    public static long[,] Contingency(long[] truth, long[] predicted, string who = "clustering metrics")
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"{who}: {truth.Length} true labels but {predicted.Length} predicted labels; expected one of each per sample");
        if (truth.Length == 0) throw new ArgumentException($"{who}: no samples (empty label arrays)");
        var rowOf = Index(truth);
        var colOf = Index(predicted);
        var table = new long[rowOf.Count, colOf.Count];
        for (var i = 0; i < truth.Length; i++) table[rowOf[truth[i]], colOf[predicted[i]]]++;
        return table;
    }

    static Dictionary<long, int> Index(long[] labels)
    {
        var distinct = labels.Distinct().Order().ToArray();
        var map = new Dictionary<long, int>(distinct.Length);
        for (var i = 0; i < distinct.Length; i++) map[distinct[i]] = i;
        return map;
    }

    static (long[] Rows, long[] Cols) Marginals(long[,] table)
    {
        int rows = table.GetLength(0), cols = table.GetLength(1);
        var a = new long[rows];
        var b = new long[cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
            {
                a[i] += table[i, j];
                b[j] += table[i, j];
            }
        return (a, b);
    }

    static double Entropy(long[] counts, double n) =>
        -counts.Where(c => c > 0).Sum(c => c / n * Math.Log(c / n));

    static double Pairs(long n) => n * (n - 1) / 2.0;
}
