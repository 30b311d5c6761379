using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class CifarPickleReaderTests
{
    // Made by Fixtures/make_cifar_py.py with numpy's own pickling: 2 images per batch, byte j of image k = (k·7 + j) mod 256.
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "cifar-py");

    [Fact]
    public void TrainSplit_ReadsAllFiveBatches_WithPixelsLabelsAndClassNames()
    {
        using var data = CifarPickleReader.Read(Dir, "train");
        Assert.Equal(new long[] { 10, 3, 32, 32 }, data.Images.shape);
        Assert.Equal(new long[] { 1, 2, 2, 3, 3, 4, 4, 5, 5, 6 }, data.Labels);
        Assert.Equal("truck", data.ClassNames[9]);
        var bytes = data.Images.flatten().data<byte>().ToArray();
        // Image 3, red plane row 0 col 5 = byte 5; green plane starts at byte 1024 (channel-first rows, as CIFAR stores them).
        Assert.Equal((byte)((3 * 7 + 5) % 256), bytes[3 * 3072 + 5]);
        Assert.Equal((byte)((3 * 7 + 1024) % 256), bytes[3 * 3072 + 1024]);
    }

    [Fact]
    public void TestSplit_AndTheDatasetsEntryPoint_ResolveTheFolder()
    {
        using var test = Datasets.Load(Dir, "test", new DatasetOptions { CacheDir = Directory.CreateTempSubdirectory("selfsup-cifarpy-").FullName });
        Assert.Equal(new long[] { 9, 0 }, test.Labels);
        Assert.Equal((byte)(100 * 7 % 256), test.Images.flatten()[0].item<byte>());
    }

    [Fact]
    public void NotAPickle_IsAClearErrorNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("selfsup-cifarpy-bad-").FullName;
        foreach (var f in CifarPickleReader.SplitFiles(dir, "test")) File.WriteAllBytes(f, [0x80, 0x02, 0xff]);
        var e = Assert.Throws<InvalidDataException>(() => CifarPickleReader.Read(dir, "test"));
        Assert.Contains("test_batch", e.Message);
        Assert.Contains("missing CIFAR-10 python batches", Assert.Throws<FileNotFoundException>(() => CifarPickleReader.Read(dir, "train")).Message);
    }
}
