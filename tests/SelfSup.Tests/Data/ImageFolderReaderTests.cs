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
        using var data = ImageFolderReader.Read(dir.Path, channels: 1);

        Assert.Equal(new[] { "C", "a", "b" }, data.ClassNames);
        Assert.Equal(new long[] { 0, 1, 1, 2 }, data.Labels);
        // rows follow the sorted relative paths: C/y, a/1, a/sub/2, b/x
        var firstPixels = Enumerable.Range(0, 4).Select(i => data.Images[i, 0, 0, 0].item<byte>()).ToArray();
        Assert.Equal(new byte[] { 40, 10, 20, 30 }, firstPixels);
    }

    [Fact]
    public void WideImage_IsCentreCroppedWithoutResampling_WhenShorterSideMatches()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        // 6x2 image; column x has gray level 10·(x+1); a centre crop of side 2 keeps columns 2 and 3.
        TestImages.WritePng(dir.File("k/wide.png"), 6, 2, (x, _) => new SKColor((byte)(10 * (x + 1)), (byte)(10 * (x + 1)), (byte)(10 * (x + 1))));

        using var data = ImageFolderReader.Read(dir.Path, imageSize: 2, channels: 1);

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
        using var rgb = ImageFolderReader.Read(dir.Path, imageSize: 4, channels: 3);
        using var gray = ImageFolderReader.Read(dir.Path, imageSize: 4);
        using var luma = ImageFolderReader.Read(dir.Path, imageSize: 4, channels: 1);

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

        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path, imageSize: 4));

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
