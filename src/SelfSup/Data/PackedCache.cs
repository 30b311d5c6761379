using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// A decoded dataset stored as one file so that later runs skip decoding. Layout (little-endian):
/// magic "SSPK", int32 version, int64 N, int32 C, H, W, int64 label count (0 or N), int32 class count,
/// class names and the dataset name as length-prefixed UTF-8, then N·C·H·W uint8 pixels, then the int64 labels.
/// Files are written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public static class PackedCache
{
    public const int Magic = 0x4B505353; // "SSPK"
    public const int Version = 1;
    public const string Extension = ".sspack";
    const int ChunkBytes = 16 << 20;

    /// <summary>Env <c>SELFSUP_DATA</c> if set, else <c>$XDG_CACHE_HOME/selfsup</c>, else <c>~/.cache/selfsup</c>.</summary>
    public static string DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("SELFSUP_DATA");
        if (!string.IsNullOrWhiteSpace(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg, "selfsup");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "selfsup");
    }

    /// <summary>
    /// The cache file for a dataset: a readable label plus a hash of the key, which must change whenever the
    /// decoded result would (source identity, split, target size and channels).
    /// </summary>
    public static string PathFor(string cacheDir, string label, string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        var safe = new string(label.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());
        return Path.Combine(cacheDir, $"{safe}-{hash}{Extension}");
    }

    /// <summary>
    /// Identity of a source on disk: full path, size and last-write time; for a folder, the count, total size and
    /// newest write time of all files below it (so adding, removing or editing an image invalidates the cache).
    /// </summary>
    public static string SourceKey(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var f = new FileInfo(full);
            return $"{full}|{f.Length}|{f.LastWriteTimeUtc.Ticks}";
        }
        if (Directory.Exists(full))
        {
            long count = 0, bytes = 0, newest = 0;
            foreach (var f in new DirectoryInfo(full).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                count++;
                bytes += f.Length;
                newest = Math.Max(newest, f.LastWriteTimeUtc.Ticks);
            }
            return $"{full}/|{count}|{bytes}|{newest}";
        }
        throw new FileNotFoundException($"{path}: not found", path);
    }

    /// <summary>Reads the cache file when it exists and is valid; otherwise builds the dataset and writes it.</summary>
    public static ImageDataset GetOrCreate(string path, Func<ImageDataset> build, IProgress<string>? log = null)
    {
        if (File.Exists(path))
        {
            try
            {
                var cached = Read(path);
                log?.Report($"loaded {cached.Count} images from cache {path}");
                return cached;
            }
            catch (InvalidDataException e)
            {
                log?.Report($"rebuilding unusable cache file ({e.Message})");
            }
        }
        var data = build();
        Write(path, data);
        log?.Report($"wrote cache {path}");
        return data;
    }

    /// <summary>Writes atomically (temporary file, then rename).</summary>
    public static void Write(string path, ImageDataset data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var w = new BinaryWriter(fs, Encoding.UTF8))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write((long)data.Count);
                w.Write(data.Channels);
                w.Write(data.Height);
                w.Write(data.Width);
                w.Write((long)(data.Labels?.Length ?? 0));
                w.Write(data.ClassNames.Count);
                foreach (var c in data.ClassNames) w.Write(c);
                w.Write(data.Name);
                w.Flush();
                using (var images = data.Images.contiguous())
                {
                    var span = images.bytes;
                    for (var off = 0; off < span.Length; off += ChunkBytes)
                        fs.Write(span.Slice(off, Math.Min(ChunkBytes, span.Length - off)));
                }
                if (data.Labels is { } labels)
                    fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Reads a cache file; a damaged one throws <see cref="InvalidDataException"/> naming it.</summary>
    public static ImageDataset Read(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        long n;
        int c, h, w;
        long labelCount;
        string[] classNames;
        string name;
        try
        {
            var magic = r.ReadInt32();
            if (magic != Magic) throw new InvalidDataException($"{path}: magic {Magic} expected for a packed dataset, found {magic}");
            var version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: version {Version} expected, found {version}");
            n = r.ReadInt64();
            c = r.ReadInt32();
            h = r.ReadInt32();
            w = r.ReadInt32();
            labelCount = r.ReadInt64();
            var classCount = r.ReadInt32();
            if (n < 0 || c <= 0 || h <= 0 || w <= 0 || classCount < 0 || (labelCount != 0 && labelCount != n))
                throw new InvalidDataException($"{path}: implausible header N={n} C={c} H={h} W={w} labels={labelCount} classes={classCount}");
            classNames = new string[classCount];
            for (var i = 0; i < classCount; i++) classNames[i] = r.ReadString();
            name = r.ReadString();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: header is truncated", e);
        }
        var pixelBytes = n * c * h * w;
        var expected = fs.Position + pixelBytes + 8 * labelCount;
        if (fs.Length != expected)
            throw new InvalidDataException($"{path}: header N={n} C={c} H={h} W={w} labels={labelCount} needs {expected} bytes, file has {fs.Length}");

        var images = empty([n, c, h, w], ScalarType.Byte).DetachFromDisposeScope();
        try
        {
            var span = images.bytes;
            for (var off = 0; off < span.Length; off += ChunkBytes)
                fs.ReadExactly(span.Slice(off, Math.Min(ChunkBytes, span.Length - off)));
            long[]? labels = null;
            if (labelCount > 0)
            {
                labels = new long[labelCount];
                fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
            }
            return new ImageDataset(name, images, labels, classNames.Length > 0 || labels is null ? classNames : null);
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }
}
