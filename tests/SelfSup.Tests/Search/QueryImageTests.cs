using SelfSup.Data;
using SelfSup.Search;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Search;

public class QueryImageTests
{
    public QueryImageTests() => TorchRuntime.Initialize();

    [Fact]
    public void AColourImageOfAnotherSize_BecomesTheIndexSquare_InLuminance()
    {
        using var dir = new TempDir();
        TestImages.WritePng(dir.File("q.png"), 40, 30, (_, _) => new SKColor(200, 100, 50));
        using var image = QueryImage.Load(dir.File("q.png"), 28, 1);
        Assert.Equal(new long[] { 1, 1, 28, 28 }, image.shape);
        // ITU-R BT.601 luminance of (200, 100, 50): (200·299 + 100·587 + 50·114 + 500) / 1000 = 124.
        Assert.All(image.data<byte>().ToArray(), v => Assert.Equal(124, v));
    }

    [Fact]
    public void AGrayImage_IsRepeatedOverThreeChannels()
    {
        using var dir = new TempDir();
        TestImages.WriteGrayPng(dir.File("g.png"), 16, 16, (x, _) => (byte)(x * 10));
        using var image = QueryImage.Load(dir.File("g.png"), 16, 3);
        Assert.Equal(new long[] { 1, 3, 16, 16 }, image.shape);
        Assert.Equal(image[0, 0].data<byte>().ToArray(), image[0, 2].data<byte>().ToArray());
        Assert.Equal(150, image[0, 1, 3, 15].item<byte>());
    }

    [Fact]
    public void AMissingOrUnreadableFile_IsAnErrorNamingIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.png"), "not an image");
        Assert.Contains("missing.png", Assert.Throws<FileNotFoundException>(() => QueryImage.Load(dir.File("missing.png"), 28, 1)).Message);
        Assert.Contains("notes.png", Assert.Throws<InvalidDataException>(() => QueryImage.Load(dir.File("notes.png"), 28, 1)).Message);
    }
}
