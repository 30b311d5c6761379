using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class ShuffledBatchNormTests
{
    [Fact]
    public void EachRow_IsNormalisedWithinItsShuffledSubBatch_AndComesBackInItsOwnPlace()
    {
        using var bn = nn.BatchNorm1d(3);
        bn.train();
        manual_seed(1);
        using var x = randn(8, 3);
        using var perm = tensor(new long[] { 5, 2, 7, 0, 3, 6, 1, 4 });
        using var y = ShuffledBatchNorm.Forward(bn.forward, x, subBatch: 4, permutation: perm);
        // Rows 5, 2, 7, 0 form one sub-batch, rows 3, 6, 1, 4 the other.
        using var first = bn.forward(x.index_select(0, tensor(new long[] { 5, 2, 7, 0 })));
        using var second = bn.forward(x.index_select(0, tensor(new long[] { 3, 6, 1, 4 })));
        Assert.True(y[5].allclose(first[0], 1e-5, 1e-6) && y[0].allclose(first[3], 1e-5, 1e-6));
        Assert.True(y[3].allclose(second[0], 1e-5, 1e-6) && y[4].allclose(second[3], 1e-5, 1e-6));
        using var whole = bn.forward(x);
        Assert.False(y.allclose(whole, 1e-3, 1e-3));
    }

    [Fact]
    public void ARowWiseFunction_GivesTheSameOutput_WhateverTheShuffle()
    {
        using var lin = nn.Linear(3, 2);
        using var x = randn(6, 3);
        using var plain = lin.forward(x);
        using var perm = ShuffledBatchNorm.PermutationForStep(7, 6, x.device);
        using var shuffled = ShuffledBatchNorm.Forward(lin.forward, x, 4, perm);
        Assert.True(plain.allclose(shuffled, 1e-6, 1e-6));
    }

    [Fact]
    public void ThePermutation_DependsOnlyOnTheStep()
    {
        using var a = ShuffledBatchNorm.PermutationForStep(3, 10, CPU);
        using var b = ShuffledBatchNorm.PermutationForStep(3, 10, CPU);
        using var c = ShuffledBatchNorm.PermutationForStep(4, 10, CPU);
        Assert.True(a.allclose(b, 0, 0));
        Assert.False(a.allclose(c, 0, 0));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), a.sort().Values.data<long>().ToArray());
    }
}
