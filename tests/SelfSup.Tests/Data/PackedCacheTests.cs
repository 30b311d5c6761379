using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Data;

public class PackedCacheTests
{
    static ImageDataset Sample()
    {
        using var scope = NewDisposeScope();
        var images = arange(2 * 3 * 4 * 5, dtype: ScalarType.Int32).remainder(256).to_type(ScalarType.Byte).reshape(2, 3, 4, 5).MoveToOuterDisposeScope();
        return new ImageDataset("sample", images, [1, 0], ["cat", "dog"]);
    }

    [Fact]
    public void WriteThenRead_ReturnsIdenticalDataset()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        using var original = Sample();
        var path = dir.File("s.sspack");

        PackedCache.Write(path, original);
        using var back = PackedCache.Read(path);

        Assert.Equal(original.Images.shape, back.Images.shape);
        Assert.Equal(original.Images.data<byte>().ToArray(), back.Images.data<byte>().ToArray());
        Assert.Equal(original.Labels, back.Labels);
        Assert.Equal(original.ClassNames, back.ClassNames);
        Assert.Equal("sample", back.Name);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void GetOrCreate_BuildsOnlyOnce()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = dir.File("g.sspack");
        var builds = 0;

        using var first = PackedCache.GetOrCreate(path, () => { builds++; return Sample(); });
        using var second = PackedCache.GetOrCreate(path, () => { builds++; return Sample(); });

        Assert.Equal(1, builds);
        Assert.Equal(first.Images.data<byte>().ToArray(), second.Images.data<byte>().ToArray());
    }

    [Fact]
    public void TruncatedFile_ErrorNamesFileAndSizes()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = dir.File("t.sspack");
        using (var d = Sample()) PackedCache.Write(path, d);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var e = Assert.Throws<InvalidDataException>(() => PackedCache.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains($"file has {bytes.Length - 3}", e.Message);
    }

    [Fact]
    public void PathFor_DependsOnKeyAndKeepsReadableLabel()
    {
        var a = PackedCache.PathFor("/c", "my data/train", "k1");
        var b = PackedCache.PathFor("/c", "my data/train", "k2");

        Assert.NotEqual(a, b);
        Assert.StartsWith("/c/my_data_train-", a);
        Assert.EndsWith(PackedCache.Extension, a);
    }
}
