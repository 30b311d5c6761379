using System.Buffers.Binary;
using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>A float32 or int64 array read from a .npy file, C order.</summary>
public sealed record NpyContent(string Descr, long[] Shape, float[]? Float32, long[]? Int64);

/// <summary>
/// Reads .npy files written by <see cref="NpyWriter"/> or by numpy: float32 ('&lt;f4') and integer
/// ('|u1', '&lt;i4', '&lt;i8') arrays in C order. Anything else is an error that names the file and the dtype.
/// </summary>
public static class NpyReader
{
    public static NpyContent Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: .npy file not found", path);
        var array = NpyArray.Parse(File.ReadAllBytes(path), path);
        if (array.Descr == "<f4")
        {
            var n = checked((int)array.Count);
            var values = new float[n];
            var span = array.Data.AsSpan(array.Offset);
            for (var i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
            return new NpyContent(array.Descr, array.Shape, values, null);
        }
        return new NpyContent(array.Descr, array.Shape, null, array.ToInt64(path));
    }

    /// <summary>The array as a CPU tensor: float32 for '&lt;f4', int64 for integer dtypes.</summary>
    public static Tensor ReadTensor(string path)
    {
        var content = Read(path);
        return content.Float32 is { } f ? tensor(f, content.Shape) : tensor(content.Int64!, content.Shape);
    }
}
