using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>
/// Writes arrays as NumPy .npy files (format version 1.0) that <c>numpy.load</c> reads without options: the magic
/// "\x93NUMPY", version 1.0, a little-endian uint16 header length, and the header dict
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (N, D), }</c> padded with spaces and a final '\n' so the
/// data starts on a 64-byte boundary, exactly as numpy writes it; then the values in C order, little-endian.
/// Files are written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public static class NpyWriter
{
    const int Alignment = 64;
    const int PreambleLength = 10; // magic (6) + version (2) + header length (2)

    /// <summary>float32 values of <paramref name="shape"/> as '&lt;f4'.</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> values, IReadOnlyList<long> shape) =>
        Write(path, "<f4", MemoryMarshal.AsBytes(values), values.Length, sizeof(float), shape);

    /// <summary>int64 values of <paramref name="shape"/> as '&lt;i8'.</summary>
    public static void WriteInt64(string path, ReadOnlySpan<long> values, IReadOnlyList<long> shape) =>
        Write(path, "<i8", MemoryMarshal.AsBytes(values), values.Length, sizeof(long), shape);

    /// <summary>A float32 or int64 tensor (any device, any layout) with its own shape.</summary>
    public static void WriteTensor(string path, Tensor array)
    {
        using var cpu = array.cpu().contiguous();
        var shape = cpu.shape;
        switch (cpu.dtype)
        {
            case ScalarType.Float32:
                WriteFloat32(path, cpu.data<float>().ToArray(), shape);
                break;
            case ScalarType.Int64:
                WriteInt64(path, cpu.data<long>().ToArray(), shape);
                break;
            default:
                throw new ArgumentException($"{path}: .npy export supports float32 and int64 tensors, got {cpu.dtype}");
        }
    }

    /// <summary>The preamble and padded header numpy writes for <paramref name="descr"/> and <paramref name="shape"/>.</summary>
    public static byte[] Header(string descr, IReadOnlyList<long> shape)
    {
        var dims = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)", // Python's one-element tuple
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}";
        // numpy pads with 1..64 spaces so that preamble + header + '\n' is a multiple of 64.
        var pad = Alignment - (PreambleLength + dict.Length + 1) % Alignment;
        var text = dict + new string(' ', pad) + "\n";
        if (text.Length > ushort.MaxValue)
            throw new ArgumentException($".npy header for shape {dims} is too long for format version 1.0");
        var header = new byte[PreambleLength + text.Length];
        header[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, header.AsSpan(PreambleLength));
        return header;
    }

    static void Write(string path, string descr, ReadOnlySpan<byte> data, long count, int itemSize, IReadOnlyList<long> shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{path}: .npy shape ({string.Join(", ", shape)}) has a negative dimension");
        var expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != count)
            throw new ArgumentException($"{path}: shape ({string.Join(", ", shape)}) holds {expected} values but {count} were given");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Header(descr, shape));
            if (BitConverter.IsLittleEndian) stream.Write(data);
            else
            {
                var swapped = data.ToArray();
                for (var i = 0; i < swapped.Length; i += itemSize) Array.Reverse(swapped, i, itemSize);
                stream.Write(swapped);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
