using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class MaskingTests
{
    static readonly Device Cpu = new(DeviceType.CPU);

    [Fact]
    public void Random_MasksExactlyTheRatio_PerSample()
    {
        using var g = new Generator(1);
        using var m = Masking.Random(5, 49, 0.75, g, Cpu);
        Assert.Equal(new long[] { 5, 12 }, m.Keep.shape); // ⌊49 · 0.25⌋
        var counts = m.Mask.sum(1).data<float>().ToArray();
        Assert.All(counts, c => Assert.Equal(37f, c));
    }

    [Fact]
    public void Random_KeptTokensAreTheUnmaskedOnes_AndDifferPerSample()
    {
        using var g = new Generator(2);
        using var m = Masking.Random(4, 16, 0.5, g, Cpu);
        using var atKeep = m.Mask.gather(1, m.Keep);
        Assert.Equal(0f, atKeep.sum().item<float>());
        using var sorted = m.Keep.sort(1).Values;
        Assert.False(sorted[0].eq(sorted[1]).all().item<bool>() && sorted[1].eq(sorted[2]).all().item<bool>(), "every sample kept the same tokens");
    }

    [Fact]
    public void Random_RestoreIsTheInversePermutation()
    {
        using var g = new Generator(3);
        using var m = Masking.Random(3, 10, 0.6, g, Cpu);
        // Keep = first K of the shuffle; gathering the shuffle with Restore must give 0..T-1 in order.
        var restore = m.Restore.data<long>().ToArray();
        var keep = m.Keep.data<long>().ToArray();
        for (int b = 0; b < 3; b++)
            for (int k = 0; k < 4; k++)
                Assert.Equal(k, restore[b * 10 + keep[b * 4 + k]]);
        using var sortedRestore = m.Restore.sort(1).Values;
        using var expected = arange(10, dtype: ScalarType.Int64).expand(3, -1);
        Assert.True(sortedRestore.eq(expected).all().item<bool>(), "restore ids are a permutation");
    }

    [Fact]
    public void Random_IsReproducibleFromTheGenerator()
    {
        using var g1 = new Generator(7);
        using var g2 = new Generator(7);
        using var a = Masking.Random(2, 20, 0.75, g1, Cpu);
        using var b = Masking.Random(2, 20, 0.75, g2, Cpu);
        Assert.True(a.Mask.eq(b.Mask).all().item<bool>());
    }

    [Fact]
    public void BlockWise_MasksAboutTheRatio_NeverMore_InRectangles()
    {
        using var g = new Generator(4);
        using var m = Masking.BlockWise(6, 14, 14, 0.4, g, Cpu);
        Assert.Equal(new long[] { 6, 196 }, m.shape);
        var counts = m.sum(1).data<float>().ToArray();
        Assert.All(counts, c => Assert.InRange(c, 0.3f * 196, 78f)); // target round(0.4·196) = 78
        Assert.NotEqual(m[0].data<float>().ToArray(), m[1].data<float>().ToArray());
    }

    [Fact]
    public void MultiBlock_ContextExcludesTargets_AndTargetsHaveTheBlockSize()
    {
        using var g = new Generator(5);
        using var m = Masking.MultiBlock(3, 14, 14, g, Cpu);
        Assert.Equal(new long[] { 3, 4, 196 }, m.Targets.shape);
        Assert.Equal(new long[] { 3, 196 }, m.Context.shape);
        using var union = m.Targets.any(1);
        Assert.False(m.Context.logical_and(union).any().item<bool>(), "context overlaps a target");
        var sizes = m.Targets.sum(2).data<long>().ToArray();
        Assert.All(sizes, s => Assert.Equal(sizes[0], s));           // block size drawn once per batch
        Assert.InRange(sizes[0], (long)(0.1 * 196), (long)(0.25 * 196)); // scale 0.15–0.2 after rounding
        Assert.True(m.Context.sum().item<long>() > 0);
    }
}
