using System.Formats.Tar;
using System.IO.Compression;
using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class TarImageFolderReaderTests
{
    [Fact]
    public void ReadsOnlyThePrefix_WithClassesFromFolderNames()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("src/ds/train/dog/1.png"), 3, 3, new SKColor(50, 50, 50));
        TestImages.WriteSolid(dir.File("src/ds/train/cat/1.png"), 3, 3, new SKColor(60, 60, 60));
        TestImages.WriteSolid(dir.File("src/ds/train/cat/2.png"), 3, 3, new SKColor(70, 70, 70));
        TestImages.WriteSolid(dir.File("src/ds/test/cat/9.png"), 3, 3, new SKColor(80, 80, 80));
        var archive = dir.File("ds.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(dir.File("src"), gz, includeBaseDirectory: false);

        using var data = TarImageFolderReader.Read(archive, "ds/train", new() { Channels = 1 });

        Assert.Equal(new[] { "cat", "dog" }, data.ClassNames);
        Assert.Equal(new long[] { 0, 0, 1 }, data.Labels);
        Assert.Equal(new long[] { 3, 1, 3, 3 }, data.Images.shape);
        Assert.Equal(new byte[] { 60, 70, 50 }, Enumerable.Range(0, 3).Select(i => data.Images.data<byte>()[i * 9]).ToArray());
    }

    [Fact]
    public void PrefixWithoutImages_IsAnErrorNamingTheArchive()
    {
        using var dir = new TempDir();
        TestImages.WriteSolid(dir.File("src/a/x/1.png"), 2, 2, SKColors.White);
        var archive = dir.File("a.tar.gz");
        using (var fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(dir.File("src"), gz, includeBaseDirectory: false);

        var e = Assert.Throws<InvalidDataException>(() => TarImageFolderReader.Read(archive, "b/train"));

        Assert.Contains(archive, e.Message);
    }
}
