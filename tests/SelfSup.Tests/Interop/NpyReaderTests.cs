using SelfSup.Interop;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

public class NpyReaderTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("npy-reader-").FullName;

    public NpyReaderTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Float32Tensor_RoundTripsThroughAFile()
    {
        var path = Path.Combine(dir, "e.npy");
        using var x = arange(12, ScalarType.Float32).div(7).view(3, 4);
        NpyWriter.WriteTensor(path, x);
        using var back = NpyReader.ReadTensor(path);
        Assert.Equal(new long[] { 3, 4 }, back.shape);
        Assert.Equal(ScalarType.Float32, back.dtype);
        Assert.True(back.eq(x).all().item<bool>());
    }

    [Fact]
    public void Int64Labels_RoundTripWithTheirOneDimensionalShape()
    {
        var path = Path.Combine(dir, "l.npy");
        NpyWriter.WriteInt64(path, [7, -1, long.MaxValue], [3]);
        var content = NpyReader.Read(path);
        Assert.Equal("<i8", content.Descr);
        Assert.Equal(new long[] { 3 }, content.Shape);
        Assert.Equal(new long[] { 7, -1, long.MaxValue }, content.Int64);
    }

    [Fact]
    public void Read_NamesTheFile_WhenItIsNotNpy()
    {
        var path = Path.Combine(dir, "bad.npy");
        File.WriteAllText(path, "not an array");
        var error = Assert.Throws<InvalidDataException>(() => NpyReader.Read(path));
        Assert.Contains(path, error.Message);
    }
}
