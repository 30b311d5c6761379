using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

/// <summary>How <see cref="Datasets.LoadSplit"/> makes the train and test splits of every source form.</summary>
public class DatasetSplitsTests
{
    /// <summary>Class folders a (10 images), b (10), c (5) without train/ and test/; image (cls, i) is solid (40·cls, 10·i, 7).</summary>
    static string ClassFolders(TempDir dir)
    {
        var counts = new[] { 10, 10, 5 };
        for (var cls = 0; cls < counts.Length; cls++)
            for (var i = 0; i < counts[cls]; i++)
                TestImages.WriteSolid(dir.File($"data/{(char)('a' + cls)}/{i:D2}.png"), 3, 3, new SKColor((byte)(40 * cls), (byte)(10 * i), 7));
        return dir.File("data");
    }

    /// <summary>Each row's identity: its first red and green bytes (class and index of the file it came from).</summary>
    static List<(byte Red, byte Green)> Rows(ImageDataset d)
    {
        var bytes = d.Images.data<byte>().ToArray();
        var stride = d.Channels * d.Height * d.Width;
        var plane = d.Height * d.Width;
        return Enumerable.Range(0, d.Count).Select(r => (bytes[r * stride], bytes[r * stride + plane])).ToList();
    }

    static DatasetOptions Options(TempDir dir, TestHoldOut? holdOut = null) =>
        new() { CacheDir = dir.File("cache"), HoldOut = holdOut ?? new TestHoldOut() };

    [Fact]
    public void ClassFoldersWithoutTrainTest_GiveDisjointStratifiedSplits_CoveringEveryImage()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);

        var (train, split) = Datasets.LoadSplit(path, "train", Options(dir));
        using var tr = train;
        using var test = Datasets.Load(path, "test", Options(dir));

        // 20 % of 10, 10 and 5 images: 2, 2 and 1 held out.
        Assert.Equal(new long[] { 0, 0, 1, 1, 2 }, test.Labels!.Order());
        Assert.Equal(20, train.Count);
        Assert.Equal(new[] { 8, 8, 4 }, Enumerable.Range(0, 3).Select(c => train.Labels!.Count(l => l == c)));
        Assert.Empty(Rows(train).Intersect(Rows(test)));
        Assert.Equal(25, Rows(train).Union(Rows(test)).Count());
        Assert.All(Rows(test).Zip(test.Labels!), p => Assert.Equal(40 * p.Second, p.First.Red)); // labels stay with their images
        Assert.Equal(TestSplitKind.HeldOut, split.Kind);
        Assert.Equal("held_out_20pct_seed_0", split.Key);
        Assert.Equal("data has no test split: holding out a seeded, stratified 20 % (5 images) as the test split; the train split is the other 20", split.Describe());
    }

    [Fact]
    public void HeldOutTestSplit_IsTheSameForASeed_AndDiffersForAnother()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);

        using var first = Datasets.Load(path, "test", Options(dir, new TestHoldOut(0.4, seed: 3)));
        using var again = Datasets.Load(path, "test", Options(dir, new TestHoldOut(0.4, seed: 3)));
        using var other = Datasets.Load(path, "test", Options(dir, new TestHoldOut(0.4, seed: 4)));

        Assert.Equal(10, first.Count); // 4 + 4 + 2
        Assert.Equal(Rows(first), Rows(again));
        Assert.NotEqual(Rows(first).Order(), Rows(other).Order());
    }

    [Fact]
    public void FolderWithTrainAndTest_KeepsItsGivenTestSplit()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        for (var i = 0; i < 5; i++) TestImages.WriteSolid(dir.File($"data/train/a/{i}.png"), 3, 3, new SKColor(0, (byte)(10 * i), 7));
        TestImages.WriteSolid(dir.File("data/test/a/0.png"), 3, 3, new SKColor(0, 0, 7));

        var (train, split) = Datasets.LoadSplit(dir.File("data"), "train", Options(dir));
        using var tr = train;
        using var test = Datasets.Load(dir.File("data"), "test", Options(dir));

        Assert.Equal(5, train.Count);
        Assert.Equal(1, test.Count);
        Assert.Equal(TestSplitKind.Given, split.Kind);
        Assert.Equal("given", split.Key);
        Assert.Null(split.Describe());
    }

    [Fact]
    public void SingleIdxFile_HoldsOutItsTestSplit()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // 10 one-pixel-wide images whose pixels are their row index; labels 0,1,0,1,…
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), IdxReaderTests.Idx(2051, [10, 1, 1], Enumerable.Range(0, 10).Select(i => (byte)i).ToArray()));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), IdxReaderTests.Idx(2049, [10], Enumerable.Range(0, 10).Select(i => (byte)(i % 2)).ToArray()));

        foreach (var source in new[] { dir.File("train-images-idx3-ubyte"), dir.Path })
        {
            var (test, split) = Datasets.LoadSplit(source, "test", new DatasetOptions());
            using var te = test;
            using var train = Datasets.Load(source, "train", new DatasetOptions());

            Assert.Equal(TestSplitKind.HeldOut, split.Kind);
            Assert.Equal(new long[] { 0, 1 }, test.Labels!.Order());
            Assert.Equal(8, train.Count);
            Assert.Empty(train.Images.data<byte>().ToArray().Intersect(test.Images.data<byte>().ToArray()));
        }
    }

    [Fact]
    public void SingleCifarBatch_HoldsOutItsTestSplit()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // 10 records: label i % 2, every pixel byte i.
        var bytes = Enumerable.Range(0, 10).SelectMany(i => new[] { (byte)(i % 2) }.Concat(Enumerable.Repeat((byte)i, CifarBinaryReader.RecordSize - 1))).ToArray();
        File.WriteAllBytes(dir.File("cifar-like.bin"), bytes);

        var (test, split) = Datasets.LoadSplit(dir.File("cifar-like.bin"), "test", new DatasetOptions());
        using var te = test;
        using var train = Datasets.Load(dir.File("cifar-like.bin"), "train", new DatasetOptions());

        Assert.Equal(2, test.Count);
        Assert.Equal(8, train.Count);
        Assert.StartsWith("cifar-like.bin has no test split: holding out a seeded, stratified 20 % (2 images)", split.Describe());
        Assert.Empty(train.Images.data<byte>().ToArray().Distinct().Intersect(test.Images.data<byte>().ToArray().Distinct()));
    }

    [Fact]
    public void UnlabelledSourceWithoutTestSplit_TrainsOnEverything_AndRefusesATestSplit()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x-images-idx3-ubyte"), IdxReaderTests.Idx(2051, [4, 1, 1], [1, 2, 3, 4]));

        var (train, split) = Datasets.LoadSplit(dir.File("x-images-idx3-ubyte"), "train", new DatasetOptions());
        using var tr = train;
        var e = Assert.Throws<ArgumentException>(() => Datasets.Load(dir.File("x-images-idx3-ubyte"), "test", new DatasetOptions()));

        Assert.Equal(4, train.Count);
        Assert.Equal(TestSplitKind.None, split.Kind);
        Assert.Contains("no test split and no labels", e.Message);
    }

    [Fact]
    public void SourceWithoutTestSplit_RejectsOtherSplitNames()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);

        var e = Assert.Throws<ArgumentException>(() => Datasets.Load(path, "val", Options(dir)));

        Assert.Contains("split 'val' not found", e.Message);
    }

    /// <summary>A separate test folder with classes a (2 images) and c (1), no b; image (cls, i) is solid (40·cls, 250 − i, 99).</summary>
    static string TestFolder(TempDir dir)
    {
        foreach (var (cls, count) in new[] { (0, 2), (2, 1) })
            for (var i = 0; i < count; i++)
                TestImages.WriteSolid(dir.File($"given/{(char)('a' + cls)}/{i}.png"), 3, 3, new SKColor((byte)(40 * cls), (byte)(250 - i), 99));
        return dir.File("given");
    }

    [Fact]
    public void TestData_IsTheTestSplit_NoTestRowIsATrainingRow_AndTheSplitSaysGivenWithItsSource()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);
        var options = Options(dir) with { TestData = TestFolder(dir) };

        var (train, trainSplit) = Datasets.LoadSplit(path, "train", options);
        using var tr = train;
        var (test, testSplit) = Datasets.LoadSplit(path, "test", options);
        using var te = test;

        Assert.Equal(25, train.Count);                                                     // nothing held out
        Assert.Equal(3, test.Count);
        Assert.Empty(Rows(train).Intersect(Rows(test)));
        Assert.All(Rows(test), r => Assert.True(r.Green >= 249));                          // every test row is from the test folder
        Assert.Equal(new long[] { 0, 0, 2 }, test.Labels);                               // c keeps the training index 2 although b is absent
        Assert.Equal(train.ClassNames, test.ClassNames);
        foreach (var split in new[] { trainSplit, testSplit })
        {
            Assert.Equal(TestSplitKind.Given, split.Kind);
            Assert.Equal("given", split.Key);
            Assert.Equal(Path.GetFullPath(dir.File("given")), split.TestSource);
            Assert.Equal($"data: test split given by {Path.GetFullPath(dir.File("given"))}; nothing is held out, the train split is all of data's training images", split.Describe());
        }
    }

    [Fact]
    public void TestData_SharingAnImageWithTheTrainingRows_OrWithoutClasses_IsAnErrorNamingIt()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);

        var shared = Assert.Throws<ArgumentException>(() => Datasets.Load(path, "test", Options(dir) with { TestData = path }));
        Assert.Contains("--test-data", shared.Message);
        Assert.Contains("is also a training image", shared.Message);
        var pile = Assert.Throws<ArgumentException>(() => Datasets.Load(path, "test", Options(dir) with { TestData = dir.File("data/a") }));
        Assert.Contains("not in class folders", pile.Message);
        TestImages.WriteSolid(dir.File("other/z/0.png"), 3, 3, SKColors.White);
        var unknown = Assert.Throws<ArgumentException>(() => Datasets.Load(path, "test", Options(dir) with { TestData = dir.File("other") }));
        Assert.Contains("class 'z' is not a training class", unknown.Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => Datasets.Load(path, "train", Options(dir) with { TestData = dir.File("nowhere") }));
        Assert.Contains("--test-data", missing.Message);
    }

    [Fact]
    public void TestData_WithTestLabels_LabelsThePileItNames()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = ClassFolders(dir);
        TestImages.WriteSolid(dir.File("pile/x.png"), 3, 3, new SKColor(80, 255, 1));
        TestImages.WriteSolid(dir.File("pile/y.png"), 3, 3, new SKColor(0, 255, 2));
        File.WriteAllText(dir.File("test.csv"), "path,label\nx.png,c\ny.png,a\n");

        using var test = Datasets.Load(path, "test", Options(dir) with { TestData = dir.File("pile"), TestLabels = dir.File("test.csv") });

        Assert.Equal(new long[] { 0, 2 }, test.Labels);                                    // a (y.png) then c (x.png)
        Assert.Equal([((byte)0, (byte)255), ((byte)80, (byte)255)], Rows(test));
    }
}
