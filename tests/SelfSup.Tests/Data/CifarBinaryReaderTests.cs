using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class CifarBinaryReaderTests
{
    /// <summary>Three records: labels 2, 0, 1; pixel i of record r is (r·7 + i) mod 251.</summary>
    static byte[] ThreeRecords()
    {
        var bytes = new byte[3 * CifarBinaryReader.RecordSize];
        byte[] labels = [2, 0, 1];
        for (var r = 0; r < 3; r++)
        {
            bytes[r * CifarBinaryReader.RecordSize] = labels[r];
            for (var i = 0; i < 3072; i++) bytes[r * CifarBinaryReader.RecordSize + 1 + i] = (byte)((r * 7 + i) % 251);
        }
        return bytes;
    }

    [Fact]
    public void Records_BecomePlanarImagesLabelsAndClassNames()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("test_batch.bin"), ThreeRecords());
        File.WriteAllText(dir.File("batches.meta.txt"), "airplane\nautomobile\nbird\n\n");

        using var data = CifarBinaryReader.Read(dir.Path, "test");

        Assert.Equal(new long[] { 3, 3, 32, 32 }, data.Images.shape);
        Assert.Equal(new long[] { 2, 0, 1 }, data.Labels);
        Assert.Equal(new[] { "airplane", "automobile", "bird" }, data.ClassNames);
        // record 1, green plane (c=1), y=2, x=5 → pixel index 1024 + 2·32 + 5
        Assert.Equal((byte)((7 + 1024 + 69) % 251), data.Images[1, 1, 2, 5].item<byte>());
    }

    [Fact]
    public void PartialRecord_IsAnErrorNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("data_batch_1.bin");
        File.WriteAllBytes(path, ThreeRecords()[..^1]);

        var e = Assert.Throws<InvalidDataException>(() => CifarBinaryReader.ReadFiles([path], null, "x"));

        Assert.Contains(path, e.Message);
        Assert.Contains("3073-byte", e.Message);
    }

    [Fact]
    public void MissingTrainBatches_AreListed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), ThreeRecords());

        var e = Assert.Throws<FileNotFoundException>(() => CifarBinaryReader.Read(dir.Path, "train"));

        Assert.Contains("data_batch_2.bin", e.Message);
        Assert.DoesNotContain("data_batch_1.bin", e.Message);
    }
}
