using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class LabelFileTests
{
    static TempDir Pile(int count)
    {
        var dir = new TempDir();
        for (int i = 0; i < count; i++) TestImages.WriteSolid(dir.File($"pile/{(i % 2 == 0 ? "" : "sub/")}img{i:D2}.png"), 4, 4, new SKColor((byte)(5 * i), (byte)(200 - 5 * i), 7));
        return dir;
    }

    static string Write(TempDir dir, string name, string text)
    {
        File.WriteAllText(dir.File(name), text);
        return dir.File(name);
    }

    [Fact]
    public void Rows_AreReadFromCsvWithHeader_OrTsv_WithPathsRelativeToTheRoot()
    {
        using var dir = Pile(4);
        var csv = Write(dir, "labels.csv", "path,label\nimg00.png,cat\nsub/img01.png,dog\n\n\"img02.png\",cat\n");
        var rows = LabelFile.Read(csv, dir.File("pile"));
        Assert.Equal([("img00.png", "cat", 2), ("sub/img01.png", "dog", 3), ("img02.png", "cat", 5)], rows.Select(r => (r.Path, r.Label, r.Line)));
        var tsv = Write(dir, "labels.tsv", "sub/img03.png\tbird\n");
        Assert.Equal("bird", Assert.Single(LabelFile.Read(tsv, dir.File("pile"))).Label);
    }

    [Theory]
    [InlineData("path,label\nimg00.png,cat\nmissing.png,dog\n", "line 3", "missing.png")]
    [InlineData("img00.png,cat\nsub/img01.png,dog\nimg00.png,dog\n", "line 3", "first on line 1")]
    [InlineData("img00.png,cat\nsub/img01.png,\n", "line 2", "empty label")]
    [InlineData("img00.png,cat,extra\n", "line 1", "2 fields")]
    [InlineData("path,label\n", "no rows", "path,label")]
    public void BadRows_AreErrorsNamingTheFileAndLine(string text, string where, string what)
    {
        using var dir = Pile(2);
        var csv = Write(dir, "labels.csv", text);
        var e = Assert.Throws<InvalidDataException>(() => LabelFile.Read(csv, dir.File("pile")));
        Assert.Contains("labels.csv", e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void LabelledPile_SplitsAsTheSameImagesInClassFolders_AndNeverTestsOnTrainingRows()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var lines = new List<string> { "path,label" };
        for (int i = 0; i < 20; i++)
        {
            var label = i % 3 == 0 ? "b" : "a";
            var color = new SKColor((byte)(10 * i), (byte)(250 - 10 * i), (byte)(i * 7));
            TestImages.WriteSolid(dir.File($"pile/p{i:D2}.png"), 4, 4, color);
            TestImages.WriteSolid(dir.File($"classes/{label}/p{i:D2}.png"), 4, 4, color);
            lines.Add($"p{i:D2}.png,{label}");
        }
        for (int i = 0; i < 5; i++) TestImages.WriteSolid(dir.File($"pile/unlabeled{i}.png"), 4, 4, new SKColor(1, 2, (byte)i)); // not in the label file
        var csv = Write(dir, "labels.csv", string.Join('\n', lines));
        var options = new DatasetOptions { CacheDir = dir.File("cache"), Labels = csv };
        var plain = new DatasetOptions { CacheDir = dir.File("cache") };

        var (train, split) = Datasets.LoadSplit(dir.File("pile"), "train", options);
        using var _t = train;
        using var test = Datasets.Load(dir.File("pile"), "test", options);
        using var folderTrain = Datasets.Load(dir.File("classes"), "train", plain);
        using var folderTest = Datasets.Load(dir.File("classes"), "test", plain);

        Assert.Equal(TestSplitKind.HeldOut, split.Kind);
        Assert.Equal(20, train.Count + test.Count);                                   // only the labelled images
        Assert.Equal(folderTrain.Images.data<byte>().ToArray(), train.Images.data<byte>().ToArray());
        Assert.Equal(folderTest.Images.data<byte>().ToArray(), test.Images.data<byte>().ToArray());
        Assert.Equal(folderTrain.Labels, train.Labels);
        Assert.Equal(folderTest.Labels, test.Labels);
        var trainImages = Enumerable.Range(0, train.Count).Select(i => Convert.ToBase64String(train.Images[i].data<byte>().ToArray())).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, test.Count).Select(i => Convert.ToBase64String(test.Images[i].data<byte>().ToArray())), trainImages.Contains);
    }

    [Fact]
    public void TestLabelFile_IsTheTestSplit_AndMayNotShareARowWithTheTrainingLabels()
    {
        TorchRuntime.Initialize();
        using var dir = Pile(6);
        var train = Write(dir, "train.csv", "img00.png,a\nsub/img01.png,b\nimg02.png,a\n");
        var test = Write(dir, "test.csv", "sub/img03.png,b\nimg04.png,a\n");
        var options = new DatasetOptions { CacheDir = dir.File("cache"), Labels = train, TestLabels = test };
        var (trainSplit, info) = Datasets.LoadSplit(dir.File("pile"), "train", options);
        using var _ = trainSplit;
        using var testSplit = Datasets.Load(dir.File("pile"), "test", options);
        Assert.Equal((3, 2), (trainSplit.Count, testSplit.Count));
        Assert.Equal(TestSplitKind.Given, info.Kind);
        Assert.Equal(new long[] { 0, 1 }, testSplit.Labels);                                // classes a, b in ordinal order

        var overlapping = Write(dir, "overlap.csv", "img04.png,a\nimg02.png,a\n");
        var e = Assert.Throws<InvalidDataException>(() => Datasets.Load(dir.File("pile"), "test", options with { TestLabels = overlapping }));
        Assert.Contains("overlap.csv line 2", e.Message);
        Assert.Contains("train.csv line 3", e.Message);
        Assert.Contains("--labels", Assert.Throws<ArgumentException>(() => Datasets.Load(dir.File("pile"), "test", options with { Labels = null })).Message);
    }

    [Fact]
    public void LabelsForADatasetThatIsNotAFolder_AreRefused() =>
        Assert.Contains("not a folder", Assert.Throws<ArgumentException>(() => Datasets.Load("mnist", "train", new DatasetOptions { Labels = "labels.csv" })).Message);
}
