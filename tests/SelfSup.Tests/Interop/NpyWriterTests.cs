using System.Text;
using SelfSup.Interop;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

public class NpyWriterTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("npy-writer-").FullName;

    public NpyWriterTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Header_IsByteForByteWhatNumpyWrites_ForA2DFloatArray()
    {
        // numpy.save of a (3, 4) float32 array: magic, version 1.0, header length 118 (0x76 0x00), the dict,
        // 58 spaces and '\n', so that 10 + 118 = 128 bytes precede the data.
        const string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        var expected = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(dict + new string(' ', 58) + "\n"));
        Assert.Equal(expected.ToArray(), NpyWriter.Header("<f4", [3, 4]));
    }

    [Fact]
    public void Header_WritesOneDimensionalShapesAsPythonOneTuples()
    {
        var header = NpyWriter.Header("<i8", [5]);
        var text = Encoding.ASCII.GetString(header, 10, header.Length - 10);
        Assert.StartsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", text);
    }

    [Theory]
    [InlineData(new long[] { 1 })]
    [InlineData(new long[] { 60000, 2048 })]
    [InlineData(new long[] { 123456789, 1, 2, 3, 4, 5, 6 })]
    public void Header_AlwaysEndsInNewlineAtA64ByteBoundary(long[] shape)
    {
        var header = NpyWriter.Header("<f4", shape);
        Assert.Equal(0, header.Length % 64);
        Assert.Equal((byte)'\n', header[^1]);
        Assert.Equal(header.Length - 10, BitConverter.ToUInt16(header, 8));
    }

    [Fact]
    public void WriteFloat32_PutsLittleEndianValuesRightAfterTheHeader()
    {
        var path = Path.Combine(dir, "x.npy");
        NpyWriter.WriteFloat32(path, [1f, -2.5f], [1, 2]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(128 + 8, bytes.Length);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0 }, bytes[128..]);
    }

    [Fact]
    public void WriteTensor_RejectsAShapeThatDoesNotMatchTheValues()
    {
        var error = Assert.Throws<ArgumentException>(() => NpyWriter.WriteInt64(Path.Combine(dir, "y.npy"), [1, 2, 3], [2, 2]));
        Assert.Contains("holds 4 values but 3 were given", error.Message);
    }

    [Fact]
    public void WriteTensor_RejectsUnsupportedDtypes()
    {
        using var t = zeros(3, ScalarType.Float64);
        Assert.Throws<ArgumentException>(() => NpyWriter.WriteTensor(Path.Combine(dir, "z.npy"), t));
    }
}
