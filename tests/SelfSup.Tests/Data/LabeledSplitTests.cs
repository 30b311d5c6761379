using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Data;

public class LabeledSplitTests
{
    /// <summary>15 one-pixel images whose value is the row index; labels cycle 0, 1, 2.</summary>
    static ImageDataset Fifteen()
    {
        using var scope = NewDisposeScope();
        var images = arange(15, dtype: ScalarType.Byte).reshape(15, 1, 1, 1).MoveToOuterDisposeScope();
        return new ImageDataset("fifteen", images, Enumerable.Range(0, 15).Select(i => (long)(i % 3)).ToArray());
    }

    static byte[] Rows(ImageDataset d) => d.Images.data<byte>().ToArray();

    [Fact]
    public void PerClass_TakesThatManyOfEachClass_AndPartitionsTheRows()
    {
        TorchRuntime.Initialize();
        using var data = Fifteen();

        var (labeled, unlabeled) = LabeledSplit.PerClass(data, 2, seed: 1);
        using var l = labeled;
        using var u = unlabeled;

        Assert.Equal(6, l.Count);
        Assert.Equal(9, u.Count);
        Assert.All(new long[] { 0, 1, 2 }, c => Assert.Equal(2, l.Labels!.Count(x => x == c)));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (byte)i), Rows(l).Concat(Rows(u)).Order());
        Assert.All(Rows(l), r => Assert.Equal((long)(r % 3), l.Labels![Array.IndexOf(Rows(l), r)]));
    }

    [Fact]
    public void SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        TorchRuntime.Initialize();
        using var data = Fifteen();

        var a = LabeledSplit.PerClass(data, 2, seed: 7);
        var b = LabeledSplit.PerClass(data, 2, seed: 7);
        var others = Enumerable.Range(8, 5).Select(s => LabeledSplit.PerClass(data, 2, seed: s)).ToArray();

        Assert.Equal(Rows(a.Labeled), Rows(b.Labeled));
        Assert.Contains(others, o => !Rows(o.Labeled).SequenceEqual(Rows(a.Labeled)));
        foreach (var (x, y) in others.Append(a).Append(b)) { x.Dispose(); y.Dispose(); }
    }

    [Fact]
    public void Fraction_IsStratifiedAndRounded()
    {
        TorchRuntime.Initialize();
        using var data = Fifteen();

        var (labeled, unlabeled) = LabeledSplit.Fraction(data, 0.4, seed: 3);
        using var l = labeled;
        using var u = unlabeled;

        Assert.Equal(6, l.Count); // 0.4 · 5 = 2 per class
        Assert.All(new long[] { 0, 1, 2 }, c => Assert.Equal(2, l.Labels!.Count(x => x == c)));
        Assert.Equal(9, u.Count);
    }

    [Fact]
    public void TooFewImagesInAClass_IsAnError()
    {
        TorchRuntime.Initialize();
        using var data = Fifteen();

        var e = Assert.Throws<ArgumentException>(() => LabeledSplit.PerClass(data, 6, seed: 0));

        Assert.Contains("class 0 has 5 images, fewer than the 6", e.Message);
    }

    [Fact]
    public void HoldOut_TakesTheShareOfEachClassAsTest_AndTheRestAsTrain()
    {
        TorchRuntime.Initialize();
        using var data = Fifteen();

        var (train, test) = LabeledSplit.HoldOut(data, new TestHoldOut(0.4, seed: 2));
        using var tr = train;
        using var te = test;

        Assert.Equal(6, te.Count); // 40 % of 5 per class
        Assert.All(new long[] { 0, 1, 2 }, c => Assert.Equal(2, te.Labels!.Count(x => x == c)));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (byte)i), Rows(tr).Concat(Rows(te)).Order());
        Assert.Equal(("fifteen-train", "fifteen-test"), (tr.Name, te.Name));
    }
}
