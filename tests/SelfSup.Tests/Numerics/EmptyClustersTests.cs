using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Numerics;

public class EmptyClustersTests
{
    [Fact]
    public void EmptyCluster_TakesTheUpperHalfOfTheLargestCluster_AlongItsPrincipalAxis()
    {
        // Cluster 0 holds x = 0, 1, 2, 10, 11 (its axis is the x axis); cluster 2 is empty. The median cut keeps
        // the 2 lowest rows in cluster 0 and hands x = 2, 10, 11 to cluster 2; cluster 1 is untouched.
        using var x = tensor(new float[,] { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 10, 0 }, { 11, 0 }, { 50, 5 } });
        var split = EmptyClusters.Split(x, [0, 0, 0, 0, 0, 1], 3);
        Assert.Equal(new long[] { 0, 0, 2, 2, 2, 1 }, split);
    }

    [Fact]
    public void PartitionWithoutEmptyClusters_IsReturnedUnchanged()
    {
        using var x = randn(5, 3, generator: new Generator(1));
        long[] assignments = [1, 0, 2, 1, 0];
        Assert.Equal(assignments, EmptyClusters.Split(x, assignments, 3));
    }

    [Fact]
    public void EveryRowItsOwnCluster_WhenKEqualsN_EvenForDuplicateRows()
    {
        using var x = zeros(8, 2); // all rows coincide
        var split = EmptyClusters.Split(x, new long[8], 8);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), split.Order());
    }

    [Fact]
    public void InvalidInputs_AreRejected_NamingTheProblem()
    {
        using var x = randn(4, 2);
        Assert.Contains("k must be", Assert.Throws<ArgumentException>(() => EmptyClusters.Split(x, [0, 0, 0, 0], 5)).Message);
        Assert.Contains("outside [0, 2)", Assert.Throws<ArgumentException>(() => EmptyClusters.Split(x, [0, 3, 0, 1], 2)).Message);
        Assert.Contains("one row per assignment", Assert.Throws<ArgumentException>(() => EmptyClusters.Split(x, [0, 1], 2)).Message);
    }
}
