using System.Buffers.Binary;
using CsCheck;

namespace SelfSup.Tests.Fuzz;

/// <summary>A header field of a seed file that mutations overwrite with extreme values.</summary>
internal sealed record Field(int Offset, int Width, bool BigEndian = false);

/// <summary>
/// Generators of hostile variants of a valid seed file: 1–4 edits, each a bit flip, a byte overwrite, a truncation,
/// an insertion or deletion of a few bytes, appended garbage, or a header field overwritten with an extreme value
/// (0, 1, −1, the type's limits, powers of two, random).
/// </summary>
internal static class Mutations
{
    enum Kind { FlipBit, SetByte, Truncate, Insert, Delete, Append, Field }

    sealed record Edit(Kind Kind, uint Where, ulong Value, byte[] Bytes);

    /// <summary>Values that break size arithmetic: zero, one, all ones, signed limits, powers of two, random.</summary>
    public static Gen<ulong> Extreme { get; } = Gen.Frequency(
        (1, Gen.Const(0UL)), (1, Gen.Const(1UL)), (1, Gen.Const(ulong.MaxValue)), (1, Gen.Const((ulong)int.MaxValue)),
        (1, Gen.Const(0x80000000UL)), (1, Gen.Const((ulong)long.MaxValue)), (1, Gen.Const(65535UL)), (1, Gen.Const(100_000UL)),
        (2, Gen.Int[0, 63].Select(s => 1UL << s)), (2, Gen.ULong), (2, Gen.ULong[0, 300]));

    static readonly Gen<Edit> EditGen = Gen.Select(
        Gen.Frequency((3, Gen.Const(Kind.FlipBit)), (2, Gen.Const(Kind.SetByte)), (2, Gen.Const(Kind.Truncate)),
            (1, Gen.Const(Kind.Insert)), (1, Gen.Const(Kind.Delete)), (1, Gen.Const(Kind.Append)), (4, Gen.Const(Kind.Field))),
        Gen.UInt, Extreme, Gen.Byte.Array[1, 16],
        (k, w, v, b) => new Edit(k, w, v, b));

    /// <summary>Variants of <paramref name="seed"/>; <paramref name="fields"/> are the header fields worth overwriting.</summary>
    public static Gen<byte[]> Of(byte[] seed, params Field[] fields) =>
        EditGen.Array[1, 4].Select(edits => edits.Aggregate(seed, (bytes, e) => Apply(bytes, e, fields)));

    static byte[] Apply(byte[] bytes, Edit e, Field[] fields)
    {
        var at = bytes.Length == 0 ? 0 : (int)(e.Where % (uint)bytes.Length);
        switch (e.Kind)
        {
            case Kind.FlipBit when bytes.Length > 0:
                return With(bytes, b => b[at] ^= (byte)(1 << (int)(e.Value % 8)));
            case Kind.SetByte when bytes.Length > 0:
                return With(bytes, b => b[at] = (byte)e.Value);
            case Kind.Truncate:
                return bytes[..at];
            case Kind.Insert:
                return [.. bytes[..at], .. e.Bytes, .. bytes[at..]];
            case Kind.Delete:
                return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + e.Bytes.Length)..]];
            case Kind.Append:
                return [.. bytes, .. e.Bytes];
            case Kind.Field when fields.Length > 0:
                var f = fields[(int)(e.Where % (uint)fields.Length)];
                return f.Offset + f.Width > bytes.Length ? bytes : With(bytes, b => Write(b.AsSpan(f.Offset, f.Width), e.Value, f.BigEndian));
            default:
                return bytes;
        }
    }

    static byte[] With(byte[] bytes, Action<byte[]> edit)
    {
        var copy = (byte[])bytes.Clone();
        edit(copy);
        return copy;
    }

    /// <summary>Writes the low bytes of <paramref name="value"/> into a 1-, 2-, 4- or 8-byte field.</summary>
    public static void Write(Span<byte> field, ulong value, bool bigEndian)
    {
        switch (field.Length)
        {
            case 1: field[0] = (byte)value; break;
            case 2: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(field, (ushort)value); else BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value); break;
            case 4: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(field, (uint)value); else BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value); break;
            default: if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(field, value); else BinaryPrimitives.WriteUInt64LittleEndian(field, value); break;
        }
    }
}
