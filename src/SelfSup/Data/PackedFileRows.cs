using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// The pixel rows of a packed dataset file, read on demand with positioned reads (no memory map: pages of a map count
/// towards the process's resident memory as they are touched, so an epoch over a map would grow RSS to the file's
/// size). Reads are thread-safe, so the next batch can be read while a step runs. An optional row map makes a subset
/// without copying pixels.
/// </summary>
internal sealed class PackedFileRows : IDisposable
{
    readonly SafeFileHandle handle;
    readonly long pixelOffset;
    readonly long[]? map;

    PackedFileRows(string path, SafeFileHandle handle, long pixelOffset, long fileRows, long[]? map, int rowBytes)
    {
        Path = path;
        this.handle = handle;
        this.pixelOffset = pixelOffset;
        FileRows = fileRows;
        this.map = map;
        RowBytes = rowBytes;
    }

    public static PackedFileRows Open(string path, long pixelOffset, long fileRows, int rowBytes) =>
        new(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess), pixelOffset, fileRows, null, rowBytes);

    public string Path { get; }
    public long FileRows { get; }
    public int RowBytes { get; }
    public long Count => map?.LongLength ?? FileRows;

    /// <summary>The same file seen through <paramref name="rows"/> (indices into this view), with a handle of its own.</summary>
    public PackedFileRows Select(IReadOnlyList<long> rows)
    {
        var fileRows = new long[rows.Count];
        for (var i = 0; i < fileRows.Length; i++) fileRows[i] = FileRow(rows[i]);
        return new PackedFileRows(Path, File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess), pixelOffset, FileRows, fileRows, RowBytes);
    }

    /// <summary>Rows <paramref name="rows"/> into a new uint8 tensor of <paramref name="rowShape"/> per row.</summary>
    public Tensor Read(ReadOnlySpan<long> rows, long[] rowShape)
    {
        var result = empty([rows.Length, .. rowShape], ScalarType.Byte);
        try
        {
            var dest = result.bytes;
            var i = 0;
            while (i < rows.Length)
            {
                // Consecutive file rows become one read (a whole evaluation pass is a handful of large reads).
                var first = FileRow(rows[i]);
                var run = 1;
                while (i + run < rows.Length && FileRow(rows[i + run]) == first + run) run++;
                ReadExactly(dest.Slice(checked(i * RowBytes), checked(run * RowBytes)), pixelOffset + first * RowBytes);
                i += run;
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    long FileRow(long row)
    {
        if ((ulong)row >= (ulong)Count) throw new ArgumentOutOfRangeException(nameof(row), $"{Path}: row {row} is outside 0..{Count - 1}");
        return map?[row] ?? row;
    }

    void ReadExactly(Span<byte> dest, long offset)
    {
        while (dest.Length > 0)
        {
            var n = RandomAccess.Read(handle, dest, offset);
            if (n <= 0) throw new InvalidDataException($"{Path}: ended at byte {offset}, inside its pixel data (the file was truncated)");
            dest = dest[n..];
            offset += n;
        }
    }

    public void Dispose() => handle.Dispose();
}
