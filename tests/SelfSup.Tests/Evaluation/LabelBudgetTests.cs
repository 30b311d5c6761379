using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class LabelBudgetTests(ITestOutputHelper output)
{
    /// <summary>Labels 0 for the first <paramref name="sizes"/>[0] rows, 1 for the next, …; each image's pixels are its row number mod 256.</summary>
    static ImageDataset Classes(params int[] sizes)
    {
        var labels = sizes.SelectMany((n, c) => Enumerable.Repeat((long)c, n)).ToArray();
        var pixels = arange(labels.Length).remainder(256).to(ScalarType.Byte).reshape(labels.Length, 1, 1, 1).repeat(1, 1, 2, 2); // [N, 1, 2, 2]
        return new ImageDataset("classes", pixels, labels);
    }

    static int[] PerClass(ImageDataset d, int classes) => Enumerable.Range(0, classes).Select(c => d.Labels!.Count(l => l == c)).ToArray();

    [Fact]
    public void CountsPercentagesAndAll_ParseInOrder_WithTheirLabels()
    {
        var parsed = LabelBudget.ParseList(" 5,10,50,100, 1%,10%,12.5%,all");
        Assert.Equal(new[] { "5", "10", "50", "100", "1%", "10%", "12.5%", "all" }, parsed.Select(b => b.Label));
        Assert.Equal(10, parsed[1].PerClass);
        Assert.Equal(12.5, parsed[6].Percent);
        Assert.True(parsed[7].IsAll);
        Assert.Equal(new LabelBudget[] { 1, null }, LabelEfficiency.ParseLabelsPerClass("1,all,1"));
    }

    [Theory]
    [InlineData("5,ten,all", "ten")]
    [InlineData("5,0%", "0%")]
    [InlineData("150%", "150%")]
    [InlineData("10%%", "10%%")]
    [InlineData("-3", "-3")]
    [InlineData("0", "0")]
    [InlineData("1e1%", "1e1%")]
    public void ABadToken_IsAnErrorNamingTheFlagAndTheToken(string text, string bad)
    {
        var e = Assert.Throws<ArgumentException>(() => LabelBudget.ParseList(text));
        Assert.StartsWith("--labels-per-class:", e.Message);
        Assert.Contains($"'{bad}'", e.Message);
    }

    [Fact]
    public void ThePneumoniaMnistSplitSizes_GiveBalancedSubsetsUntilAClassRunsShort_ThenStratifiedOnes()
    {
        int[] sizes = [1214, 3494]; // PneumoniaMNIST train: normal, pneumonia
        Assert.Equal(new[] { 24, 23 }, LabelBudget.Percentage(1).Allocate(sizes));      // 47.08 → 47
        Assert.Equal(new[] { 236, 235 }, LabelBudget.Percentage(10).Allocate(sizes));   // 470.8 → 471
        Assert.Equal(new[] { 1177, 1177 }, LabelBudget.Percentage(50).Allocate(sizes)); // 2354; normal has 1214
        // 60 %: 2825 images, 1413 per class exceeds the 1214 normal images → shares 728.45 and 2096.55, one more to pneumonia.
        Assert.Equal(new[] { 728, 2097 }, LabelBudget.Percentage(60).Allocate(sizes));
        Assert.Equal(sizes, LabelBudget.Percentage(100).Allocate(sizes));
        Assert.Equal(sizes, LabelBudget.All.Allocate(sizes));
        Assert.Equal(new[] { 5, 5 }, LabelBudget.Count(5).Allocate(sizes));
    }

    [Fact]
    public void AStratifiedShare_KeepsOneImageOfATinyClass()
    {
        Assert.Equal(new[] { 19, 1 }, LabelBudget.Percentage(2).Allocate([995, 5])); // 20 images: shares 19.9 and 0.1
        var e = Assert.Throws<ArgumentException>(() => LabelBudget.Percentage(1).Allocate([50, 40, 30]));
        Assert.Contains("1% of 120 training images is 1, fewer than one per class (3 classes)", e.Message);
    }

    [Fact]
    public void ATenPercentDraw_HasTheRoundedSize_AndBalancedClasses_AndDependsOnlyOnTheSeed()
    {
        using var data = Classes(300, 105); // 10 % of 405 = 40.5 → 41
        using var a = LabelBudget.Percentage(10).Draw(data, seed: 3);
        using var b = LabelBudget.Percentage(10).Draw(data, seed: 3);
        using var c = LabelBudget.Percentage(10).Draw(data, seed: 4);
        Assert.Equal(41, a.Count);
        Assert.Equal(new[] { 21, 20 }, PerClass(a, 2));
        Assert.Equal(a.Images.data<byte>().ToArray(), b.Images.data<byte>().ToArray());
        Assert.NotEqual(a.Images.data<byte>().ToArray(), c.Images.data<byte>().ToArray());
        // A count per class draws the rows LabeledSplit.PerClass draws for the same seed.
        using var count = LabelBudget.Count(7).Draw(data, seed: 3);
        var (split, rest) = LabeledSplit.PerClass(data, 7, seed: 3);
        using (split) using (rest) Assert.Equal(split.Images.data<byte>().ToArray(), count.Images.data<byte>().ToArray());
    }

    [Fact]
    public void AFiftyPercentDraw_OfAnUnevenDataset_IsStratified()
    {
        using var data = Classes(20, 180); // 100 images, 50 per class would exceed class 0's 20
        using var half = LabelBudget.Percentage(50).Draw(data, seed: 0);
        Assert.Equal(new[] { 10, 90 }, PerClass(half, 2));
    }

    [Fact]
    public void TenPercentOfPneumoniaMnist_Is471Images_236Normal_235Pneumonia()
    {
        if (LocalData.Find(LocalData.Folders(), "pneumoniamnist.npz") is null)
        {
            output.WriteLine("skipped: no local copy of pneumoniamnist.npz in any shared/data folder");
            return;
        }
        TorchRuntime.Initialize();
        using var cache = new TempDir();
        using var train = Datasets.Load("pneumoniamnist", "train", new DatasetOptions { CacheDir = cache.Path });
        Assert.Equal(new[] { 1214, 3494 }, PerClass(train, 2));
        using var tenth = LabelBudget.Percentage(10).Draw(train, seed: 0);
        Assert.Equal(471, tenth.Count);
        Assert.Equal(new[] { 236, 235 }, PerClass(tenth, 2));
    }
}
