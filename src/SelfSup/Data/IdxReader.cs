using System.Buffers.Binary;
using System.IO.Compression;

namespace SelfSup.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (plain or .gz): a big-endian header (two zero bytes,
/// a type code, the number of dimensions, one int32 per dimension) followed by the raw values.
/// Only unsigned-byte data (type 0x08) occurs in these datasets and is supported.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic of an idx3 uint8 image file [N, H, W].</summary>
    public const int ImagesMagic = 0x0803;
    /// <summary>Magic of an idx1 uint8 label file [N].</summary>
    public const int LabelsMagic = 0x0801;

    /// <summary>Images [N, 1, H, W] from an idx3 file, labels from an idx1 file when given.</summary>
    public static ImageDataset Read(string imagesPath, string? labelsPath = null, string? name = null, IReadOnlyList<string>? classNames = null)
    {
        var (dims, bytes, offset) = ReadArray(imagesPath, ImagesMagic, "images");
        long[]? labels = null;
        if (labelsPath is not null)
        {
            var (ldims, lbytes, loffset) = ReadArray(labelsPath, LabelsMagic, "labels");
            if (ldims[0] != dims[0])
                throw new InvalidDataException($"{labelsPath}: {ldims[0]} labels but {imagesPath} has {dims[0]} images");
            labels = new long[ldims[0]];
            for (var i = 0; i < labels.Length; i++) labels[i] = lbytes[loffset + i];
        }
        var images = TensorBytes.ToByteTensor(bytes, offset, [dims[0], 1, dims[1], dims[2]]);
        return new ImageDataset(name ?? Path.GetFileName(imagesPath), images, labels, classNames);
    }

    /// <summary>
    /// The dimensions and raw bytes of an IDX file; the values start at the returned offset. The header is checked
    /// before the values are read, and a gzip stream is inflated only up to the size the header declares (plus one byte
    /// to detect extra data), so neither a hostile header nor a gzip bomb makes the reader allocate more than the file
    /// really holds.
    /// </summary>
    internal static (int[] Dims, byte[] Bytes, int Offset) ReadArray(string path, int expectedMagic, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: IDX {what} file not found", path);
        using var file = File.OpenRead(path);
        var gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            var head = new byte[4];
            var got = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            if (got < 4) throw new InvalidDataException($"{path}: {got} bytes is too short for an IDX header");
            var magic = BinaryPrimitives.ReadInt32BigEndian(head);
            if (magic != expectedMagic)
                throw new InvalidDataException($"{path}: magic {expectedMagic} expected for {what}, found {magic}");
            var ndim = magic & 0xff;
            var offset = 4 + 4 * ndim;
            var header = new byte[offset];
            head.CopyTo(header, 0);
            got = 4 + stream.ReadAtLeast(header.AsSpan(4), offset - 4, throwOnEndOfStream: false);
            if (got < offset)
                throw new InvalidDataException($"{path}: header of {ndim} dimensions needs {offset} bytes, file has {got}");
            var dims = new int[ndim];
            for (var d = 0; d < ndim; d++)
            {
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
                if (dims[d] < 0) throw new InvalidDataException($"{path}: dimension {d} is negative ({dims[d]})");
            }
            var total = offset + dims.Aggregate(System.Numerics.BigInteger.One, (a, d) => a * d);
            if (total > Array.MaxLength)
                throw new InvalidDataException($"{path}: header [{string.Join(", ", dims)}] declares {total - offset} values, more than one array holds ({Array.MaxLength - offset})");
            var bytes = gzip ? BoundedRead.UpTo(stream, (long)total, header) : null;
            var have = bytes?.Length ?? file.Length;
            if (have < total)
                throw new InvalidDataException(
                    $"{path}: header [{string.Join(", ", dims)}] needs {total} bytes, file has {have} (truncated or not an IDX {what} file)");
            if (have > total)
                throw new InvalidDataException(
                    $"{path}: holds more data than its header [{string.Join(", ", dims)}] declares ({total} bytes; not an IDX {what} file)");
            if (bytes is null)
            {
                bytes = new byte[have];
                header.CopyTo(bytes, 0);
                file.ReadExactly(bytes.AsSpan(offset));
            }
            return (dims, bytes, offset);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})", e);
        }
    }
}
