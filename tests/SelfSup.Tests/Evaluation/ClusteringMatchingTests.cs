using SelfSup.Evaluation;

namespace SelfSup.Tests.Evaluation;

public class ClusteringMatchingTests
{
    [Fact]
    public void Solve_FindsTheKnownOptimumOfA3x3Matrix()
    {
        // Optimum by enumeration of the 6 permutations: row 0 → col 1 (1), row 1 → col 0 (2), row 2 → col 2 (2) = 5.
        double[,] cost = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        var assignment = ClusteringMatching.Solve(cost);
        Assert.Equal(new[] { 1, 0, 2 }, assignment);
        Assert.Equal(5, ClusteringMatching.Cost(cost, assignment));
    }

    [Fact]
    public void Solve_MatchesBruteForce_OnRandomSquareMatrices()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = 1 + trial % 6;
            var cost = new double[n, n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    cost[i, j] = random.Next(0, 20);
            var best = Permutations(Enumerable.Range(0, n).ToArray()).Min(p => ClusteringMatching.Cost(cost, p));
            var assignment = ClusteringMatching.Solve(cost);
            Assert.Equal(n, assignment.Distinct().Count());
            Assert.Equal(best, ClusteringMatching.Cost(cost, assignment));
        }
    }

    [Fact]
    public void Solve_LeavesExtraRowsUnassigned_WhenThereAreMoreRowsThanColumns()
    {
        double[,] cost = { { 5, 9 }, { 1, 8 }, { 7, 2 } };
        var assignment = ClusteringMatching.Solve(cost);
        Assert.Equal(new[] { -1, 0, 1 }, assignment);
    }

    [Fact]
    public void Solve_UsesTheCheapestColumns_WhenThereAreMoreColumnsThanRows()
    {
        double[,] cost = { { 5, 1, 9 }, { 6, 2, 3 } };
        Assert.Equal(new[] { 1, 2 }, ClusteringMatching.Solve(cost));
    }

    [Fact]
    public void Solve_RejectsNonFiniteCosts()
    {
        double[,] cost = { { 1, double.NaN }, { 0, 1 } };
        Assert.Throws<ArgumentException>(() => ClusteringMatching.Solve(cost));
    }

    static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (var i = 0; i < items.Length; i++)
            foreach (var rest in Permutations(items.Where((_, j) => j != i).ToArray()))
                yield return [items[i], .. rest];
    }
}
