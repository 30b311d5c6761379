using System.Formats.Tar;
using System.IO.Compression;

namespace SelfSup.Data;

/// <summary>
/// Reads an image folder (<c>prefix/&lt;class&gt;/**/*.jpg|png</c>) straight out of a .tar.gz archive.
/// Decoding from the archive in memory avoids writing tens of thousands of small files to disk only to read
/// them back once: the packed cache, not the extracted files, is what later runs reuse.
/// </summary>
public static class TarImageFolderReader
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Decodes the images under <paramref name="prefix"/> (e.g. "cifar10/train/") of the archive.</summary>
    public static ImageDataset Read(string tarGzPath, string prefix, DatasetOptions? options = null, string? name = null)
    {
        if (!File.Exists(tarGzPath)) throw new FileNotFoundException($"{tarGzPath}: archive not found", tarGzPath);
        if (!prefix.EndsWith('/')) prefix += "/";
        var entries = new List<(string Path, string Class, byte[] Bytes)>();
        try
        {
            using var fs = File.OpenRead(tarGzPath);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } e)
            {
                if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || e.DataStream is null) continue;
                var entryName = e.Name.StartsWith("./", StringComparison.Ordinal) ? e.Name[2..] : e.Name;
                if (!entryName.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (!Extensions.Contains(System.IO.Path.GetExtension(entryName), StringComparer.OrdinalIgnoreCase)) continue;
                var rel = entryName[prefix.Length..];
                var slash = rel.IndexOf('/');
                if (slash <= 0) continue; // files directly under the prefix belong to no class
                var bytes = new byte[e.Length];
                e.DataStream.ReadExactly(bytes);
                entries.Add((entryName, rel[..slash], bytes));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{tarGzPath}: not a readable .tar.gz archive ({e.Message})", e);
        }
        if (entries.Count == 0)
            throw new InvalidDataException($"{tarGzPath}: no images under '{prefix}<class>/' in the archive");
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var classes = entries.Select(e => e.Class).Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var items = entries.Select(e => new EncodedImage($"{tarGzPath}:{e.Path}", index[e.Class], () => e.Bytes)).ToArray();
        return ImageFolderReader.Decode(items, classes, options ?? new DatasetOptions(), name ?? prefix.TrimEnd('/').Replace('/', '-'));
    }
}
