using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// Reads an NPZ archive (a zip of .npy arrays) laid out as MedMNIST does: <c>{split}_images</c> uint8
/// [N, H, W] or [N, H, W, C] and <c>{split}_labels</c> [N] or [N, 1] of an integer dtype.
/// </summary>
public static class NpzReader
{
    /// <summary>
    /// Most classes a label array may index (labels are class indices 0 … this − 1): well above ImageNet-21k's 21,843,
    /// and a bound on the class list a stray value such as 2^62 would otherwise make.
    /// </summary>
    public const int MaxClasses = 100_000;

    /// <summary>The keys (array names, without .npy) stored in an NPZ file.</summary>
    public static IReadOnlyList<string> Keys(string path)
    {
        using var zip = Open(path);
        return zip.Entries.Select(e => StripNpy(e.FullName)).ToArray();
    }

    /// <summary>Images [N, C, H, W] and labels of one split.</summary>
    public static ImageDataset Read(string path, string split = "train", string? name = null, IReadOnlyList<string>? classNames = null)
    {
        using var zip = Open(path);
        var imagesKey = split + "_images";
        var labelsKey = split + "_labels";
        var imageEntry = Find(zip, imagesKey);
        if (imageEntry is null)
            throw new KeyNotFoundException(
                $"{path}: key '{imagesKey}' not found; the file holds {string.Join(", ", zip.Entries.Select(e => StripNpy(e.FullName)))}");
        var images = NpyArray.Parse(ReadEntry(imageEntry, $"{path}:{imagesKey}"), $"{path}:{imagesKey}");
        if (!images.IsUInt8)
            throw new InvalidDataException($"{path}:{imagesKey}: dtype |u1 (uint8) expected, found '{images.Descr}'");
        if (images.Shape.Length is not (3 or 4))
            throw new InvalidDataException($"{path}:{imagesKey}: shape [N, H, W] or [N, H, W, C] expected, found ({string.Join(", ", images.Shape)})");

        long[]? labels = null;
        var labelEntry = Find(zip, labelsKey);
        if (labelEntry is not null)
        {
            var l = NpyArray.Parse(ReadEntry(labelEntry, $"{path}:{labelsKey}"), $"{path}:{labelsKey}");
            if (!(l.Shape.Length == 1 || (l.Shape.Length == 2 && l.Shape[1] == 1)) || l.Shape[0] != images.Shape[0])
                throw new InvalidDataException(
                    $"{path}:{labelsKey}: shape ({images.Shape[0]}) or ({images.Shape[0]}, 1) expected, found ({string.Join(", ", l.Shape)})");
            labels = l.ToInt64($"{path}:{labelsKey}");
            if (Array.FindIndex(labels, v => v is < 0 or >= MaxClasses) is var bad and >= 0)
                throw new InvalidDataException($"{path}:{labelsKey}: label {labels[bad]} at row {bad} is not a class index from 0 to {MaxClasses - 1}");
        }

        Tensor tensor;
        if (images.Shape.Length == 3)
        {
            tensor = TensorBytes.ToByteTensor(images.Data, images.Offset, [images.Shape[0], 1, images.Shape[1], images.Shape[2]]);
        }
        else
        {
            using var nhwc = TensorBytes.ToByteTensor(images.Data, images.Offset, images.Shape); // [N, H, W, C]
            tensor = nhwc.permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope();  // [N, C, H, W]
        }
        return new ImageDataset(name ?? $"{Path.GetFileNameWithoutExtension(path)}-{split}", tensor, labels, classNames);
    }

    static ZipArchive Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: NPZ file not found", path);
        try
        {
            var zip = ZipFile.OpenRead(path);
            try
            {
                _ = zip.Entries; // the central directory is read here: its errors name the file too
                return zip;
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: not a valid NPZ (zip) file ({e.Message})", e);
        }
    }

    static ZipArchiveEntry? Find(ZipArchive zip, string key) =>
        zip.Entries.FirstOrDefault(e => StripNpy(e.FullName) == key);

    static string StripNpy(string entry) => entry.EndsWith(".npy", StringComparison.Ordinal) ? entry[..^4] : entry;

    /// <summary>
    /// An entry's bytes. The size the archive declares is checked against what inflates: memory grows with the data
    /// really there (a zip bomb or a lying size stops at the declared size + 1 byte), and a corrupt stream names the entry.
    /// </summary>
    static byte[] ReadEntry(ZipArchiveEntry entry, string origin)
    {
        if (entry.Length > Array.MaxLength)
            throw new InvalidDataException($"{origin}: the archive declares {entry.Length} bytes, more than one array holds");
        try
        {
            using var s = entry.Open();
            var bytes = BoundedRead.UpTo(s, entry.Length);
            if (bytes.Length != entry.Length)
                throw new InvalidDataException($"{origin}: the archive declares {entry.Length} bytes, the entry {(bytes.Length < entry.Length ? "holds only" : "holds more than")} {Math.Min(bytes.Length, entry.Length)}");
            return bytes;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException && !e.Message.StartsWith(origin, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{origin}: corrupt NPZ entry ({e.Message})", e);
        }
    }
}
