using System.IO.Compression;
using System.Text;
using SelfSup.Data;
using Xunit.Abstractions;

namespace SelfSup.Tests.Data;

public class NpzReaderTests(ITestOutputHelper output)
{
    /// <summary>A version-1 .npy file.</summary>
    internal static byte[] Npy(string descr, long[] shape, byte[] data)
    {
        var dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        ms.Write(BitConverter.GetBytes((ushort)header.Length));
        ms.Write(Encoding.Latin1.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    internal static void WriteNpz(string path, params (string Key, byte[] Npy)[] arrays)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (key, npy) in arrays)
        {
            using var s = zip.CreateEntry(key + ".npy").Open();
            s.Write(npy);
        }
    }

    [Fact]
    public void Pneumoniamnist_HasOfficialSplitSizesShapeAndLabels()
    {
        var path = LocalData.Find(LocalData.Folders(), "pneumoniamnist.npz");
        if (path is null)
        {
            output.WriteLine("skipped: no local copy of pneumoniamnist.npz in any shared/data folder");
            return;
        }
        TorchRuntime.Initialize();
        foreach (var (split, n, pneumonia) in new[] { ("train", 4708, 3494), ("val", 524, 389), ("test", 624, 390) })
        {
            using var data = NpzReader.Read(path, split);
            Assert.Equal(new long[] { n, 1, 28, 28 }, data.Images.shape);
            Assert.Equal(new long[] { 0, 1 }, data.Labels!.Distinct().Order().ToArray());
            Assert.Equal(pneumonia, data.Labels!.Count(l => l == 1));
            Assert.True(data.Images.max().item<byte>() > 200, "x-ray images use the full gray range");
        }
    }

    [Fact]
    public void ColorImages_ArePermutedToChannelsFirst()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = dir.File("c.npz");
        // 1 image, H=1, W=2, C=3: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6)
        WriteNpz(path, ("train_images", Npy("|u1", [1, 1, 2, 3], [1, 2, 3, 4, 5, 6])),
                       ("train_labels", Npy("<i8", [1], BitConverter.GetBytes(5L))));

        using var data = NpzReader.Read(path, "train");

        Assert.Equal(new long[] { 1, 3, 1, 2 }, data.Images.shape);
        Assert.Equal(new byte[] { 1, 4, 2, 5, 3, 6 }, data.Images.data<byte>().ToArray());
        Assert.Equal(new long[] { 5 }, data.Labels);
    }

    [Fact]
    public void MissingKey_NamesFileAndKeysFound()
    {
        using var dir = new TempDir();
        var path = dir.File("m.npz");
        WriteNpz(path, ("train_images", Npy("|u1", [1, 1, 1], [0])), ("train_labels", Npy("|u1", [1], [0])));

        var e = Assert.Throws<KeyNotFoundException>(() => NpzReader.Read(path, "val"));

        Assert.Contains(path, e.Message);
        Assert.Contains("'val_images'", e.Message);
        Assert.Contains("train_images, train_labels", e.Message);
    }

    [Fact]
    public void FortranOrder_IsRejected()
    {
        var npy = Npy("|u1", [1, 1, 1], [0]);
        var text = Encoding.Latin1.GetString(npy).Replace("False", "True ", StringComparison.Ordinal);

        var e = Assert.Throws<InvalidDataException>(() => NpyArray.Parse(Encoding.Latin1.GetBytes(text), "x.npy"));

        Assert.Contains("fortran_order False expected", e.Message);
    }
}
