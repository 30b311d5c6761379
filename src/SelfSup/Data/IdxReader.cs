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

    /// <summary>The dimensions and raw bytes of an IDX file; the values start at the returned offset.</summary>
    internal static (int[] Dims, byte[] Bytes, int Offset) ReadArray(string path, int expectedMagic, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: IDX {what} file not found", path);
        var bytes = ReadAllMaybeGzip(path);
        if (bytes.Length < 4)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX header");
        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{path}: magic {expectedMagic} expected for {what}, found {magic}");
        var ndim = magic & 0xff;
        var offset = 4 + 4 * ndim;
        if (bytes.Length < offset)
            throw new InvalidDataException($"{path}: header of {ndim} dimensions needs {offset} bytes, file has {bytes.Length}");
        var dims = new int[ndim];
        long count = 1;
        for (var d = 0; d < ndim; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new InvalidDataException($"{path}: dimension {d} is negative ({dims[d]})");
            count *= dims[d];
        }
        if (offset + count != bytes.Length)
            throw new InvalidDataException(
                $"{path}: header [{string.Join(", ", dims)}] needs {offset + count} bytes, file has {bytes.Length} (truncated or not an IDX {what} file)");
        return (dims, bytes, offset);
    }

    static byte[] ReadAllMaybeGzip(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return File.ReadAllBytes(path);
        try
        {
            using var s = File.OpenRead(path);
            using var gz = new GZipStream(s, CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})", e);
        }
    }
}
