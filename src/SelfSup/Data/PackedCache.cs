using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// A decoded dataset stored as one file so that later runs skip decoding. Layout (little-endian):
/// magic "SSPK", int32 version, int64 N, int32 C, H, W, int64 label count (0 or N), int32 class count,
/// class names and the dataset name as length-prefixed UTF-8, then N·C·H·W uint8 pixels, then the int64 labels.
/// Files are written to a temporary name and renamed, so a reader never sees half a file. Writers stream rows in
/// (<see cref="PackWriter"/>), so a dataset larger than memory can be packed with bounded memory.
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

    /// <summary>
    /// Opens the cache file when it exists and is valid; otherwise builds the dataset in memory, writes it and opens
    /// that (for sources small enough to decode in memory; image folders stream with <see cref="GetOrPack"/>).
    /// </summary>
    public static ImageDataset GetOrCreate(string path, Func<ImageDataset> build, IProgress<string>? log = null, DataStorage storage = DataStorage.Auto)
    {
        if (TryOpen(path, storage, log) is { } cached) return cached;
        var data = build();
        Write(path, data);
        log?.Report($"wrote cache {path}");
        if (Decide(storage, (long)data.Count * data.Channels * data.Height * data.Width, path, log) == DataStorage.Memory) return data;
        data.Dispose();
        return Open(path, DataStorage.File);
    }

    /// <summary>
    /// Opens the cache file when it exists and is valid; otherwise streams the dataset into it with
    /// <paramref name="pack"/> (bounded memory, whatever the dataset's size) and opens the result.
    /// </summary>
    public static ImageDataset GetOrPack(string path, Action<PackWriter> pack, IProgress<string>? log = null, DataStorage storage = DataStorage.Auto)
    {
        if (TryOpen(path, storage, log) is { } cached) return cached;
        Create(path, pack);
        log?.Report($"wrote cache {path}");
        return Open(path, storage, log);
    }

    static ImageDataset? TryOpen(string path, DataStorage storage, IProgress<string>? log)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var cached = Open(path, storage, log);
            log?.Report($"loaded {cached.Count} images from cache {path}");
            return cached;
        }
        catch (InvalidDataException e)
        {
            log?.Report($"rebuilding unusable cache file ({e.Message})");
            return null;
        }
    }

    /// <summary>
    /// Writes a packed file with <paramref name="pack"/>, atomically: into a temporary file beside it, renamed only
    /// when complete. Any failure (a bad image, a full disk) removes the temporary file, so no later run can mistake
    /// half a file for a cache. <paramref name="open"/> replaces how the temporary file is opened (tests).
    /// </summary>
    public static void Create(string path, Action<PackWriter> pack, Func<string, Stream>? open = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var fs = open?.Invoke(tmp) ?? new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                var writer = new PackWriter(fs, tmp);
                pack(writer);
                if (!writer.Finished) throw new InvalidOperationException($"{path}: the packing step ended without finishing the file");
                if (fs is FileStream file) file.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new IOException($"{path}: the disk filled up while the packed cache was written ({e.Message}); nothing was kept. Free space there or point SELFSUP_DATA (or --cache-dir) at a larger disk", e);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    // ENOSPC (28) and EDQUOT (122) on Linux; ERROR_DISK_FULL (0x70) and ERROR_HANDLE_DISK_FULL (0x27) on Windows.
    static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is 28 or 122 or 0x70 or 0x27;

    /// <summary>Writes atomically (temporary file, then rename).</summary>
    public static void Write(string path, ImageDataset data) => Create(path, w =>
    {
        w.Begin(data.Name, data.ClassNames, data.Channels, data.Height, data.Width);
        for (long start = 0; start < data.Count; start += 4096)
        {
            using var rows = data.Range(start, Math.Min(4096, data.Count - start));
            using var contiguous = rows.contiguous();
            w.Append(contiguous.bytes);
        }
        w.Finish(data.Labels);
    });

    /// <summary>
    /// Opens a packed file in memory or row by row from disk, as <paramref name="storage"/> says (Auto: from disk
    /// when its pixels exceed a quarter of the memory this process may use). A damaged file throws
    /// <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static ImageDataset Open(string path, DataStorage storage = DataStorage.Auto, IProgress<string>? log = null)
    {
        // One stream serves the header and then either the pixels (in memory) or the labels (rows stay on disk).
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var header = ReadHeader(fs, path);
        if (Decide(storage, header.PixelBytes, path, log) == DataStorage.Memory) return Read(fs, path);
        var labels = ReadLabels(fs, header);
        var file = PackedFileRows.Open(path, header.PixelOffset, header.Count, checked(header.Channels * header.Height * header.Width));
        try
        {
            return new ImageDataset(header.Name, file, header.Channels, header.Height, header.Width, labels, header.ClassNamesFor());
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Where pixels of <paramref name="pixelBytes"/> should live under <paramref name="storage"/>.</summary>
    public static DataStorage Decide(DataStorage storage, long pixelBytes, string path, IProgress<string>? log = null)
    {
        if (storage != DataStorage.Auto) return storage;
        var budget = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        if (pixelBytes <= budget) return DataStorage.Memory;
        log?.Report($"{path}: {pixelBytes / 1e9:F1} GB of pixels, more than a quarter of the {budget * 4 / 1e9:F1} GB of memory; reading rows from the file as needed (--storage memory loads it all)");
        return DataStorage.File;
    }

    /// <summary>Reads a packed file into memory; a damaged one throws <see cref="InvalidDataException"/> naming it.</summary>
    public static ImageDataset Read(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(fs, path);
    }

    /// <summary>Reads a packed dataset from the start of <paramref name="stream"/> (seekable); <paramref name="origin"/> names it in errors.</summary>
    public static ImageDataset Read(Stream stream, string origin)
    {
        var header = ReadHeader(stream, origin);
        stream.Position = header.PixelOffset;
        var images = empty([header.Count, header.Channels, header.Height, header.Width], ScalarType.Byte).DetachFromDisposeScope();
        try
        {
            // Row blocks: a span cannot cover more than 2 GB.
            var rowBytes = (long)header.Channels * header.Height * header.Width;
            var block = Math.Max(1, ChunkBytes / rowBytes);
            for (long start = 0; start < header.Count; start += block)
            {
                using var rows = images.narrow(0, start, Math.Min(block, header.Count - start));
                stream.ReadExactly(rows.bytes);
            }
            return new ImageDataset(header.Name, images, ReadLabels(stream, header), header.ClassNamesFor());
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    /// <summary>A packed file's header, checked against the file's length.</summary>
    internal sealed record Header(long Count, int Channels, int Height, int Width, long LabelCount, string[] ClassNames, string Name, long PixelOffset)
    {
        public long PixelBytes => Count * Channels * Height * Width;

        /// <summary>Class names as the dataset takes them: none given and labels present → numbered classes.</summary>
        public IReadOnlyList<string>? ClassNamesFor() => ClassNames.Length > 0 || LabelCount == 0 ? ClassNames : null;
    }

    static Header ReadHeader(Stream fs, string path)
    {
        fs.Position = 0;
        using var r = new BinaryReader(fs, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = r.ReadInt32();
            if (magic != Magic) throw new InvalidDataException($"{path}: magic {Magic} expected for a packed dataset, found {magic}");
            var version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: version {Version} expected, found {version}");
            var n = r.ReadInt64();
            var c = r.ReadInt32();
            var h = r.ReadInt32();
            var w = r.ReadInt32();
            var labelCount = r.ReadInt64();
            var classCount = r.ReadInt32();
            if (n < 0 || c <= 0 || h <= 0 || w <= 0 || classCount < 0 || classCount > 1 << 20 || (labelCount != 0 && labelCount != n))
                throw new InvalidDataException($"{path}: implausible header N={n} C={c} H={h} W={w} labels={labelCount} classes={classCount}");
            var classNames = new string[classCount];
            for (var i = 0; i < classCount; i++) classNames[i] = r.ReadString();
            var name = r.ReadString();
            var header = new Header(n, c, h, w, labelCount, classNames, name, fs.Position);
            var expected = fs.Position + header.PixelBytes + 8 * labelCount;
            if (fs.Length != expected)
                throw new InvalidDataException($"{path}: header N={n} C={c} H={h} W={w} labels={labelCount} needs {expected} bytes, file has {fs.Length}");
            return header;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: header is truncated", e);
        }
    }

    static long[]? ReadLabels(Stream fs, Header header)
    {
        if (header.LabelCount == 0) return null;
        fs.Position = header.PixelOffset + header.PixelBytes;
        var labels = new long[header.LabelCount];
        fs.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
        return labels;
    }
}
