using System.Buffers.Binary;
using System.IO.Compression;
using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class IdxReaderTests
{
    /// <summary>An IDX file: big-endian magic, dims, then the bytes.</summary>
    internal static byte[] Idx(int magic, int[] dims, byte[] values)
    {
        var bytes = new byte[4 + 4 * dims.Length + values.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        values.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    static readonly byte[] Pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();

    static void Write(string path, byte[] content)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, content);
            return;
        }
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(content);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".gz")]
    public void RoundTrip_RecoversPixelsAndLabels(string suffix)
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var images = dir.File("train-images-idx3-ubyte" + suffix);
        var labels = dir.File("train-labels-idx1-ubyte" + suffix);
        Write(images, Idx(2051, [2, 3, 4], Pixels));
        Write(labels, Idx(2049, [2], [7, 3]));

        using var data = IdxReader.Read(images, labels);

        Assert.Equal(new long[] { 2, 1, 3, 4 }, data.Images.shape);
        Assert.Equal(Pixels, data.Images.data<byte>().ToArray());
        Assert.Equal(new long[] { 7, 3 }, data.Labels);
        Assert.Equal(30, data.Images[0, 0, 0, 3].item<byte>()); // row-major: (y=0, x=3) is value index 3
    }

    [Fact]
    public void WrongMagic_NamesFileAndBothMagics()
    {
        using var dir = new TempDir();
        var labels = dir.File("labels");
        File.WriteAllBytes(labels, Idx(2051, [2, 3, 4], Pixels));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadArray(labels, IdxReader.LabelsMagic, "labels"));

        Assert.Contains(labels, e.Message);
        Assert.Contains("magic 2049 expected for labels, found 2051", e.Message);
    }

    [Fact]
    public void TruncatedFile_ReportsExpectedAndActualLength()
    {
        using var dir = new TempDir();
        var images = dir.File("images");
        File.WriteAllBytes(images, Idx(2051, [2, 3, 4], Pixels)[..^5]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images));

        Assert.Contains(images, e.Message);
        Assert.Contains("needs 40 bytes, file has 35", e.Message);
    }

    [Fact]
    public void LabelCountMismatch_IsAnError()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("i"), Idx(2051, [2, 3, 4], Pixels));
        File.WriteAllBytes(dir.File("l"), Idx(2049, [3], [1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(dir.File("i"), dir.File("l")));

        Assert.Contains("3 labels but", e.Message);
    }
}
