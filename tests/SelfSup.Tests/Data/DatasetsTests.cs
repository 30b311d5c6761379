using SelfSup.Data;
using SkiaSharp;
using Xunit.Abstractions;

namespace SelfSup.Tests.Data;

public class DatasetsTests(ITestOutputHelper output)
{
    sealed class Lines : IProgress<string>
    {
        public List<string> All { get; } = [];
        public void Report(string value) => All.Add(value);
    }

    [Fact]
    public void MissingPath_ThrowsFileNotFoundNamingIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Datasets.Load("/no/such/dataset-folder"));

        Assert.Contains("/no/such/dataset-folder", e.Message);
        Assert.Contains("mnist", e.Message); // lists the built-in names
    }

    [Fact]
    public void BuiltinNames_AreTheFourNamedDatasets()
    {
        Assert.Equal(new[] { "mnist", "fashion-mnist", "cifar10", "pneumoniamnist" }, Datasets.BuiltinNames);
        Assert.Equal("fashion-mnist", BuiltinDatasets.Canonical("Fashion_MNIST"));
        Assert.Null(BuiltinDatasets.Canonical("imagenet"));
    }

    [Fact]
    public void ImageFolder_SecondLoadComesFromTheCache()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WritePng(dir.File("data/train/a/1.png"), 5, 5, (x, y) => new SKColor((byte)(40 * x), (byte)(40 * y), 9));
        TestImages.WriteSolid(dir.File("data/train/b/1.png"), 5, 5, SKColors.Blue);
        TestImages.WriteSolid(dir.File("data/test/a/1.png"), 5, 5, SKColors.Red);
        var options = new DatasetOptions { CacheDir = dir.File("cache"), Log = new Lines() };

        using var first = Datasets.Load(dir.File("data"), "train", options);
        var log = new Lines();
        using var second = Datasets.Load(dir.File("data"), "train", options with { Log = log });
        using var test = Datasets.Load(dir.File("data"), "test", options);

        Assert.Single(Directory.GetFiles(dir.File("cache"), "data-train-*" + PackedCache.Extension));
        Assert.Contains(log.All, l => l.StartsWith("loaded 2 images from cache", StringComparison.Ordinal));
        Assert.DoesNotContain(log.All, l => l.StartsWith("decoding", StringComparison.Ordinal));
        Assert.Equal(first.Images.data<byte>().ToArray(), second.Images.data<byte>().ToArray());
        Assert.Equal(new[] { "a", "b" }, second.ClassNames);
        Assert.Equal(1, test.Count);
    }

    [Fact]
    public void ImageFolder_ResizeModeAndWindow_AreInTheCacheKey()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WritePng(dir.File("wide/1.png"), 8, 4, (x, _) => x < 4 ? new SKColor(40, 40, 40) : new SKColor(200, 200, 200));
        TestImages.WriteSixteenBitGrayPng(dir.File("xray/1.png"), 4, 4, (x, _) => (ushort)(1000 * x));
        var options = new DatasetOptions { CacheDir = dir.File("cache"), ImageSize = 8, Channels = 1 };

        using var crop = Datasets.Load(dir.File("wide"), "train", options);
        using var fit = Datasets.Load(dir.File("wide"), "train", options with { Resize = ResizeMode.Fit });
        Assert.NotEqual(0, crop.Images[0, 0, 0, 0].item<byte>());                        // cropped: no padding
        Assert.Equal(0, fit.Images[0, 0, 0].sum().item<long>());                        // fit: row 0 is black padding

        using var ownRange = Datasets.Load(dir.File("xray"), "train", options with { ImageSize = 4 });
        using var windowed = Datasets.Load(dir.File("xray"), "train", options with { ImageSize = 4, Window = new IntensityWindow(0, 6000) });
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, ownRange.Images[0, 0, 0].data<byte>().ToArray()); // 0…3000 is the image's range
        Assert.Equal(new byte[] { 0, 43, 85, 128 }, windowed.Images[0, 0, 0].data<byte>().ToArray()); // 255·1000/6000 = 42.5 → 43
        Assert.Equal(4, Directory.GetFiles(dir.File("cache"), "*" + PackedCache.Extension).Length);
    }

    [Fact]
    public void IdxFolder_ResolvesSplitFilesAndConformsSizeAndChannels()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte"), IdxReaderTests.Idx(2051, [1, 4, 4], Enumerable.Repeat((byte)9, 16).ToArray()));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte"), IdxReaderTests.Idx(2049, [1], [4]));
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), IdxReaderTests.Idx(2051, [2, 4, 4], new byte[32]));

        using var test = Datasets.Load(dir.Path, "test", new DatasetOptions { ImageSize = 2, Channels = 3 });

        Assert.Equal(new long[] { 1, 3, 2, 2 }, test.Images.shape);
        Assert.Equal(new long[] { 4 }, test.Labels);
        Assert.All(test.Images.data<byte>().ToArray(), v => Assert.Equal(9, v));
    }

    [Fact]
    public void Pneumoniamnist_IsPreparedFromTheLocalCopyIntoTheCache()
    {
        if (LocalData.Find(LocalData.Folders(), "pneumoniamnist.npz") is null)
        {
            output.WriteLine("skipped: no local copy of pneumoniamnist.npz in any shared/data folder");
            return;
        }
        TorchRuntime.Initialize();
        using var cache = new TempDir();
        var log = new Lines();

        using var val = Datasets.Load("pneumoniamnist", "val", new DatasetOptions { CacheDir = cache.Path, Log = log });
        var again = new Lines();
        using var cached = Datasets.Load("PneumoniaMNIST", "val", new DatasetOptions { CacheDir = cache.Path, Log = again });

        Assert.Equal(524, val.Count);
        Assert.Equal(new[] { "normal", "pneumonia" }, val.ClassNames);
        Assert.Contains(log.All, l => l.StartsWith("verifying", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(cache.Path, "pneumoniamnist-val-*" + PackedCache.Extension));
        Assert.DoesNotContain(again.All, l => l.StartsWith("verifying", StringComparison.Ordinal));
        Assert.Equal(val.Images.data<byte>().ToArray(), cached.Images.data<byte>().ToArray());
        Assert.Throws<ArgumentException>(() => Datasets.Load("pneumoniamnist", "validation", new DatasetOptions { CacheDir = cache.Path }));
    }

    [Fact]
    public void ChecksumMismatch_StopsWithBothHashes()
    {
        using var dir = new TempDir();
        var fake = dir.File("pneumoniamnist.npz");
        NpzReaderTests.WriteNpz(fake, ("train_images", NpzReaderTests.Npy("|u1", [1, 1, 1], [0])));

        var e = Assert.Throws<InvalidDataException>(() =>
            BuiltinDatasets.Load("pneumoniamnist", "train", new DatasetOptions(), dir.File("cache"), [dir.Path]));

        Assert.Contains(fake, e.Message);
        Assert.Contains("5b23fbb9a299eedcb5ab0873609a59843089f4086bfc4d56d62c68a651c9a4bd", e.Message);
        Assert.Contains("found sha256 " + Checksums.Sha256(fake), e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path, "*" + PackedCache.Extension, SearchOption.AllDirectories));
    }
}
