using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class ImageFolderReaderTests
{
    [Fact]
    public void Classes_AreFirstLevelFoldersInOrdinalOrder_WithNestedFiles()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("b/x.png"), 4, 4, new SKColor(30, 30, 30));
        TestImages.WriteSolid(dir.File("a/sub/2.png"), 4, 4, new SKColor(20, 20, 20));
        TestImages.WriteSolid(dir.File("a/1.png"), 4, 4, new SKColor(10, 10, 10));
        TestImages.WriteSolid(dir.File("C/y.png"), 4, 4, new SKColor(40, 40, 40));
        File.WriteAllText(dir.File("a/notes.txt"), "not an image");

        using var scope = TorchSharp.torch.NewDisposeScope();
        using var data = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });

        Assert.Equal(new[] { "C", "a", "b" }, data.ClassNames);
        Assert.Equal(new long[] { 0, 1, 1, 2 }, data.Labels);
        // rows follow the sorted relative paths: C/y, a/1, a/sub/2, b/x
        var firstPixels = Enumerable.Range(0, 4).Select(i => data.Images[i, 0, 0, 0].item<byte>()).ToArray();
        Assert.Equal(new byte[] { 40, 10, 20, 30 }, firstPixels);
    }

    [Fact]
    public void ImagesInTheRoot_MakeAnUnlabeledPile_ReadAtAnyDepth()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("b.png"), 4, 4, new SKColor(20, 20, 20));
        TestImages.WriteSolid(dir.File("a.png"), 4, 4, new SKColor(10, 10, 10));
        TestImages.WriteSolid(dir.File("patient7/study1/c.png"), 4, 4, new SKColor(30, 30, 30));
        File.WriteAllText(dir.File("readme.txt"), "not an image");

        using var data = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });

        Assert.False(data.HasLabels);
        Assert.Empty(data.ClassNames);
        // every image at any depth, in sorted relative-path order: a, b, patient7/study1/c
        Assert.Equal(new byte[] { 10, 20, 30 }, Enumerable.Range(0, 3).Select(i => data.Images[i, 0, 0, 0].item<byte>()).ToArray());
    }

    [Fact]
    public void PileInSubFoldersOnly_IsClassesByDefault_AndUnlabeledWhenAsked()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("patient1/a.png"), 4, 4, new SKColor(10, 10, 10));
        TestImages.WriteSolid(dir.File("patient1/scan2/b.png"), 4, 4, new SKColor(20, 20, 20));
        TestImages.WriteSolid(dir.File("patient2/c.png"), 4, 4, new SKColor(30, 30, 30));

        using var classes = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });
        using var pile = ImageFolderReader.Read(dir.Path, new() { Channels = 1, Unlabeled = true });
        Assert.Equal(new[] { "patient1", "patient2" }, classes.ClassNames);
        Assert.False(pile.HasLabels);
        Assert.Equal(3, pile.Count);
        var options = new DatasetOptions { CacheDir = dir.File("cache"), Unlabeled = true, Channels = 1 };
        using var train = Datasets.Load(dir.Path, "train", options);                       // the whole pile trains
        Assert.Equal((3, false), (train.Count, train.HasLabels));
    }

    [Fact]
    public void TruncatedPng_StopsTheLoadNamingIt_UnlessBadImagesAreSkippedAndCounted()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        for (int i = 0; i < 5; i++) TestImages.WriteSolid(dir.File($"img{i}.png"), 4, 4, new SKColor((byte)(40 * i), 9, 9));
        var whole = File.ReadAllBytes(dir.File("img2.png"));
        File.WriteAllBytes(dir.File("img2.png"), whole[..(whole.Length / 2)]);          // truncated in the middle of the folder

        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));
        Assert.Contains("img2.png", e.Message);
        var lines = new List<string>();
        using var data = ImageFolderReader.Read(dir.Path, new() { Log = new SyncLog(lines), SkipBadImages = true });
        Assert.Equal(4, data.Count);
        Assert.Equal(new byte[] { 0, 40, 120, 160 }, Enumerable.Range(0, 4).Select(i => data.Images[i, 0, 0, 0].item<byte>()).ToArray());
        Assert.Contains(lines, l => l.Contains("skipped 1 images") && l.Contains("img2.png"));

        File.WriteAllText(dir.File("img0.png"), "not a png at all");                       // the first file, which sets the size
        using var fromSecond = ImageFolderReader.Read(dir.Path, new() { SkipBadImages = true });
        Assert.Equal(3, fromSecond.Count);
    }

    sealed class SyncLog(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }

    [Fact]
    public void SixteenBitGrayPng_IsScaledToEightBitsByItsOwnRange()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // A 12-bit-style image, values 1000 + 200·x (x = 0…3): min 1000 → 0, max 1600 → 255, 1200 → 85, 1400 → 170.
        TestImages.WriteSixteenBitGrayPng(dir.File("xray.png"), 4, 4, (x, _) => (ushort)(1000 + 200 * x));
        using var data = ImageFolderReader.Read(dir.Path);
        Assert.Equal(new long[] { 1, 1, 4, 4 }, data.Images.shape);                       // gray: one channel
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, data.Images[0, 0, 0].data<byte>().ToArray());
    }

    [Fact]
    public void AllGrayFolder_LoadsOneChannel_UnlessThreeAreAsked_AndOneColourImageKeepsThree()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // Gray content saved as RGB PNGs (as exported X-rays often are): R = G = B everywhere.
        TestImages.WritePng(dir.File("x/1.png"), 4, 4, (x, y) => new SKColor((byte)(16 * x + y), (byte)(16 * x + y), (byte)(16 * x + y)));
        TestImages.WriteSolid(dir.File("y/2.png"), 4, 4, new SKColor(90, 90, 90));

        using var gray = ImageFolderReader.Read(dir.Path);
        using var three = ImageFolderReader.Read(dir.Path, new() { Channels = 3 });
        using var luma = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });
        Assert.Equal(new long[] { 2, 1, 4, 4 }, gray.Images.shape);
        Assert.Equal(new long[] { 2, 3, 4, 4 }, three.Images.shape);
        Assert.Equal(luma.Images.data<byte>().ToArray(), gray.Images.data<byte>().ToArray()); // the kept plane is the luminance

        TestImages.WriteSolid(dir.File("y/3.png"), 4, 4, new SKColor(90, 91, 90));          // one pixel value off gray
        using var mixed = ImageFolderReader.Read(dir.Path);
        Assert.Equal(new long[] { 3, 3, 4, 4 }, mixed.Images.shape);
    }

    [Fact]
    public void FolderMixingOneChannelAndColourFiles_IsAnErrorNamingBoth_UnlessChannelsAreGiven()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteGrayPng(dir.File("g.png"), 4, 4, (x, y) => (byte)(10 * x + y));
        TestImages.WriteSolid(dir.File("c.png"), 4, 4, new SKColor(200, 10, 10));

        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));
        Assert.Contains("g.png", e.Message);
        Assert.Contains("c.png", e.Message);
        Assert.Contains("--channels", e.Message);
        using var three = ImageFolderReader.Read(dir.Path, new() { Channels = 3 });
        Assert.Equal(new long[] { 2, 3, 4, 4 }, three.Images.shape);
        using var one = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });
        Assert.Equal(new long[] { 2, 1, 4, 4 }, one.Images.shape);
    }

    [Fact]
    public void WideImage_IsCentreCroppedWithoutResampling_WhenShorterSideMatches()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // 6x2 image; column x has gray level 10·(x+1); a centre crop of side 2 keeps columns 2 and 3.
        TestImages.WritePng(dir.File("k/wide.png"), 6, 2, (x, _) => new SKColor((byte)(10 * (x + 1)), (byte)(10 * (x + 1)), (byte)(10 * (x + 1))));

        using var data = ImageFolderReader.Read(dir.Path, new() { ImageSize = 2, Channels = 1 });

        Assert.Equal(new long[] { 1, 1, 2, 2 }, data.Images.shape);
        Assert.Equal(new byte[] { 30, 40, 30, 40 }, data.Images.data<byte>().ToArray());
    }

    [Fact]
    public void Channels_AreRgbPlanesOrBt601Luminance_AtAnySize()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("r/red.png"), 8, 5, new SKColor(255, 0, 0));
        TestImages.WriteSolid(dir.File("s/small.png"), 2, 3, new SKColor(255, 0, 0));

        using var scope = TorchSharp.torch.NewDisposeScope();
        using var rgb = ImageFolderReader.Read(dir.Path, new() { ImageSize = 4, Channels = 3 });
        using var gray = ImageFolderReader.Read(dir.Path, new() { ImageSize = 4 });
        using var luma = ImageFolderReader.Read(dir.Path, new() { ImageSize = 4, Channels = 1 });

        Assert.Equal(new long[] { 2, 3, 4, 4 }, rgb.Images.shape);
        Assert.Equal(new long[] { 2, 3, 4, 4 }, gray.Images.shape); // default is 3 channels
        for (var i = 0; i < 2; i++)
        {
            Assert.True(rgb.Images[i, 0].eq(255).all().item<bool>(), "red plane");
            Assert.True(rgb.Images[i, 1].eq(0).all().item<bool>(), "green plane");
            Assert.True(rgb.Images[i, 2].eq(0).all().item<bool>(), "blue plane");
        }
        Assert.True(luma.Images.eq(76).all().item<bool>(), "0.299 · 255 = 76.2");
    }

    [Fact]
    public void CorruptImage_ErrorNamesTheFile()
    {
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("a/good.png"), 4, 4, SKColors.White);
        Directory.CreateDirectory(dir.File("b"));
        File.WriteAllBytes(dir.File("b/bad.png"), [0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5, 6]);

        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path, new() { ImageSize = 4 }));

        Assert.Contains(dir.File("b/bad.png"), e.Message);
    }

    [Fact]
    public void FolderWithoutImages_ErrorNamesTheFolder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("empty-class"));

        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));

        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("no images found", e.Message);
    }
}
