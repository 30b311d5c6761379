namespace SelfSup.Evaluation;

/// <summary>
/// Minimum-cost assignment of rows to columns (the Hungarian algorithm in its O(n²·m) shortest-augmenting-path
/// form with row and column potentials, Kuhn 1955 / Munkres 1957 as refined by Jonker and Volgenant). Used to
/// match cluster ids to class ids, where k is at most a few hundred.
/// </summary>
public static class ClusteringMatching
{
    /// <summary>
    /// For each row, the column it is assigned to, minimising the summed cost; every row gets a distinct column
    /// when rows ≤ columns, every column a distinct row otherwise (the remaining rows get −1).
    /// </summary>
    public static int[] Solve(double[,] cost)
    {
        var rows = cost.GetLength(0);
        var cols = cost.GetLength(1);
        foreach (var c in cost)
            if (!double.IsFinite(c)) throw new ArgumentException($"assignment: cost matrix [{rows}, {cols}] holds a non-finite entry ({c})");
        if (rows == 0 || cols == 0) return new int[rows].Select(_ => -1).ToArray();
        if (rows <= cols) return SolveWide(cost, rows, cols, transposed: false);
        // More rows than columns: assign columns to rows on the transpose, then invert.
        var colToRow = SolveWide(cost, cols, rows, transposed: true);
        var rowToCol = Enumerable.Repeat(-1, rows).ToArray();
        for (var j = 0; j < cols; j++) rowToCol[colToRow[j]] = j;
        return rowToCol;
    }

    /// <summary>Summed cost of an assignment returned by <see cref="Solve"/>.</summary>
    public static double Cost(double[,] cost, int[] assignment)
    {
        var total = 0.0;
        for (var i = 0; i < assignment.Length; i++)
            if (assignment[i] >= 0) total += cost[i, assignment[i]];
        return total;
    }

    /// <summary>n ≤ m: one row at a time, grow a shortest augmenting path over columns (1-based, column 0 is a sentinel).</summary>
    static int[] SolveWide(double[,] cost, int n, int m, bool transposed)
    {
        double A(int i, int j) => transposed ? cost[j - 1, i - 1] : cost[i - 1, j - 1];
        var u = new double[n + 1];
        var v = new double[m + 1];
        var match = new int[m + 1]; // match[j]: row matched to column j (0 = none)
        var way = new int[m + 1]; // previous column on the augmenting path
        var minSlack = new double[m + 1];
        var used = new bool[m + 1];
        for (var i = 1; i <= n; i++)
        {
            match[0] = i;
            var j0 = 0;
            Array.Fill(minSlack, double.PositiveInfinity);
            Array.Fill(used, false);
            do
            {
                used[j0] = true;
                var i0 = match[j0];
                var delta = double.PositiveInfinity;
                var j1 = 0;
                for (var j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    var reduced = A(i0, j) - u[i0] - v[j];
                    if (reduced < minSlack[j]) { minSlack[j] = reduced; way[j] = j0; }
                    if (minSlack[j] < delta) { delta = minSlack[j]; j1 = j; }
                }
                // Shift potentials so the tightest column becomes reachable with zero reduced cost.
                for (var j = 0; j <= m; j++)
                {
                    if (used[j]) { u[match[j]] += delta; v[j] -= delta; }
                    else minSlack[j] -= delta;
                }
                j0 = j1;
            } while (match[j0] != 0);
            // Flip the augmenting path.
            do
            {
                var j1 = way[j0];
                match[j0] = match[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var result = new int[n];
        for (var j = 1; j <= m; j++)
            if (match[j] != 0) result[match[j] - 1] = j - 1;
        return result;
    }
}
