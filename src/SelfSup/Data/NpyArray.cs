using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SelfSup.Data;

/// <summary>
/// One array from a .npy file: the magic "\x93NUMPY", a version, a header length, and a Python-literal header
/// such as <c>{'descr': '|u1', 'fortran_order': False, 'shape': (4708, 28, 28), }</c>, then the raw C-order data.
/// Only the dtypes that image datasets use are supported: uint8 and little-endian int32/int64.
/// </summary>
internal sealed partial class NpyArray
{
    NpyArray(string descr, long[] shape, byte[] data, int offset)
    {
        Descr = descr;
        Shape = shape;
        Data = data;
        Offset = offset;
    }

    /// <summary>numpy dtype string, e.g. "|u1" or "&lt;i8".</summary>
    public string Descr { get; }
    public long[] Shape { get; }
    /// <summary>The whole .npy file; values start at <see cref="Offset"/>.</summary>
    public byte[] Data { get; }
    public int Offset { get; }
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    public bool IsUInt8 => Descr is "|u1" or "<u1" or "u1";

    /// <summary>Values as int64 (for labels), whatever the integer dtype.</summary>
    public long[] ToInt64(string origin)
    {
        var n = checked((int)Count);
        var result = new long[n];
        var span = Data.AsSpan(Offset);
        switch (Descr)
        {
            case "|u1" or "<u1" or "u1":
                for (var i = 0; i < n; i++) result[i] = span[i];
                break;
            case "|i1" or "<i1" or "i1":
                for (var i = 0; i < n; i++) result[i] = (sbyte)span[i];
                break;
            case "<i4":
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]);
                break;
            case "<i8":
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]);
                break;
            default:
                throw new InvalidDataException($"{origin}: dtype '{Descr}' is not supported for labels (expected |u1, <i4 or <i8)");
        }
        return result;
    }

    /// <summary>Parses a whole .npy file held in memory; <paramref name="origin"/> names it in errors.</summary>
    public static NpyArray Parse(byte[] bytes, string origin)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic))
            throw new InvalidDataException($"{origin}: not a .npy array (magic \\x93NUMPY expected)");
        var major = bytes[6];
        long headerLen;
        int headerStart;
        if (major == 1)
        {
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"{origin}: truncated .npy header");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            headerStart = 12;
        }
        else throw new InvalidDataException($"{origin}: .npy version {major} is not supported (1, 2 or 3 expected)");
        if (headerStart + headerLen > bytes.Length)
            throw new InvalidDataException($"{origin}: .npy header of {headerLen} bytes runs past the end of the data ({bytes.Length} bytes)");
        var header = Encoding.Latin1.GetString(bytes, headerStart, (int)headerLen);

        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shape = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new InvalidDataException($"{origin}: .npy header '{header.Trim()}' lacks descr, fortran_order or shape");
        if (fortran.Groups[1].Value != "False")
            throw new InvalidDataException($"{origin}: fortran_order False expected, found {fortran.Groups[1].Value}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d
                : throw new InvalidDataException($"{origin}: .npy shape ({shape.Groups[1].Value}) holds '{s}', expected whole numbers ≥ 0"))
            .ToArray();
        var array = new NpyArray(descr.Groups[1].Value, dims, bytes, headerStart + (int)headerLen);
        var itemSize = array.Descr.Length > 0 && char.IsDigit(array.Descr[^1]) ? array.Descr[^1] - '0' : 0;
        if (itemSize is not (1 or 2 or 4 or 8))
            throw new InvalidDataException($"{origin}: dtype '{array.Descr}' is not supported");
        var needed = dims.Aggregate(new System.Numerics.BigInteger(itemSize), (a, d) => a * d); // no wrap-around: a shape cannot pass by overflowing
        if (array.Offset + needed != bytes.Length)
            throw new InvalidDataException($"{origin}: shape ({string.Join(", ", dims)}) of '{array.Descr}' needs {needed} data bytes, found {bytes.Length - array.Offset}");
        return array;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
