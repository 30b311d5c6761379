using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// A decoded image dataset: uint8 pixels [N, C, H, W], optional labels and class names. The pixels are either one
/// tensor in memory or the rows of a packed file read on demand (<see cref="PackedCache.Open"/>), for datasets
/// larger than memory; <see cref="Range"/>, <see cref="Rows"/> and <see cref="Subset"/> work on both, so every
/// consumer reads through them. Every reader produces this; the loader, augmentation and evaluation consume it.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    readonly Tensor? images;
    readonly PackedFileRows? file;
    readonly long[] rowShape;

    public ImageDataset(string name, Tensor images, long[]? labels, IReadOnlyList<string>? classNames = null)
        : this(name, images, null, images.dim() == 4 ? images.shape : [], labels, classNames)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"dataset '{name}': images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]");
    }

    internal ImageDataset(string name, PackedFileRows file, int channels, int height, int width, long[]? labels, IReadOnlyList<string>? classNames)
        : this(name, null, file, [file.Count, channels, height, width], labels, classNames)
    {
    }

    ImageDataset(string name, Tensor? images, PackedFileRows? file, long[] shape, long[]? labels, IReadOnlyList<string>? classNames)
    {
        if (shape.Length == 4 && labels is not null && labels.Length != shape[0])
            throw new ArgumentException($"dataset '{name}': {shape[0]} images but {labels.Length} labels");
        Name = name;
        this.images = images;
        this.file = file;
        rowShape = shape.Length == 4 ? shape[1..] : [];
        Count = shape.Length == 4 ? checked((int)shape[0]) : 0;
        Labels = labels;
        ClassNames = classNames ?? (labels is null ? [] : Enumerable.Range(0, labels.Length == 0 ? 0 : (int)labels.Max() + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    public string Name { get; }

    /// <summary>
    /// All pixels as one uint8 tensor [N, C, H, W] (CPU, contiguous); only for a dataset held in memory. Code that
    /// must also serve datasets read from their packed file uses <see cref="Range"/> or <see cref="Rows"/>.
    /// </summary>
    public Tensor Images => images ?? throw new InvalidOperationException(
        $"dataset '{Name}' is read from {file!.Path} row by row (it is larger than memory is allowed to hold); read it with Range or Rows");

    /// <summary>Whether the pixels are one tensor in memory (else they are read from the packed file on demand).</summary>
    public bool InMemory => images is not null;

    /// <summary>The packed file the rows are read from; null for a dataset in memory.</summary>
    public string? SourceFile => file?.Path;

    public long[]? Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Count { get; }
    public int Channels => (int)rowShape[0];
    public int Height => (int)rowShape[1];
    public int Width => (int)rowShape[2];

    /// <summary>
    /// Rows start .. start + count − 1 as uint8 [count, C, H, W]: a view for a dataset in memory, freshly read
    /// otherwise. Dispose it either way.
    /// </summary>
    public Tensor Range(long start, long count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"dataset '{Name}': rows {start}..{start + count - 1} are outside 0..{Count - 1}");
        if (images is not null) return images.narrow(0, start, count);
        var rows = new long[count];
        for (var i = 0; i < rows.Length; i++) rows[i] = start + i;
        return file!.Read(rows, rowShape);
    }

    /// <summary>
    /// <paramref name="n"/> of rows 0 .. <paramref name="count"/> − 1 spread evenly, in order (all of them when n = count):
    /// a sample that covers a dataset stored class by class, as an image folder is, where its first rows would not.
    /// </summary>
    public static long[] SpreadRows(int count, int n)
    {
        if (n < 0 || n > count) throw new ArgumentOutOfRangeException(nameof(n), $"expected 0 ≤ n ≤ {count} rows, got {n}");
        var rows = new long[n];
        for (var i = 0; i < n; i++) rows[i] = (long)i * count / n;
        return rows;
    }

    /// <summary>Up to <paramref name="n"/> rows spread evenly over the dataset (<see cref="SpreadRows"/>) as uint8 [n, C, H, W]: a sample of every part of it.</summary>
    public Tensor Spread(int n) => Rows(SpreadRows(Count, Math.Min(Math.Max(n, 0), Count)));

    /// <summary>The given rows, in that order, as a new uint8 tensor [n, C, H, W].</summary>
    public Tensor Rows(ReadOnlySpan<long> rows)
    {
        if (images is null) return file!.Read(rows, rowShape);
        using var index = tensor(rows.ToArray(), ScalarType.Int64);
        return images.index_select(0, index);
    }
    public bool HasLabels => Labels is not null;
    public int NumClasses => ClassNames.Count;

    /// <summary>Labels as an int64 tensor [N] (throws when the dataset has none).</summary>
    public Tensor LabelTensor() => Labels is null
        ? throw new InvalidOperationException($"dataset '{Name}' has no labels")
        : tensor(Labels, ScalarType.Int64);

    /// <summary>
    /// A new dataset holding the given rows: copied for a dataset in memory, a view of the same packed file otherwise.
    /// Either way it is independent of this one (disposing one leaves the other usable).
    /// </summary>
    public ImageDataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        var labels = Labels is null ? null : indices.Select(i => Labels[i]).ToArray();
        if (file is not null) return new ImageDataset(name ?? Name, file.Select(indices), Channels, Height, Width, labels, ClassNames);
        using var idx = tensor(indices.ToArray(), ScalarType.Int64);
        var subset = images!.index_select(0, idx).contiguous();
        return new ImageDataset(name ?? Name, subset, labels, ClassNames);
    }

    /// <summary>
    /// The rows of <paramref name="parts"/> one after another, in memory (e.g. the train and val splits pretrained on
    /// together). With <paramref name="keepLabels"/>, labels are kept when every part has them under the same class
    /// names; otherwise the result is unlabeled. The parts stay usable.
    /// </summary>
    public static ImageDataset Concat(IReadOnlyList<ImageDataset> parts, string name, bool keepLabels = true)
    {
        if (parts.Count == 0) throw new ArgumentException($"dataset '{name}': nothing to join");
        var first = parts[0];
        if (parts.FirstOrDefault(p => p.Channels != first.Channels || p.Height != first.Height || p.Width != first.Width) is { } odd)
            throw new ArgumentException($"dataset '{name}': '{odd.Name}' has images {odd.Channels}×{odd.Height}×{odd.Width}, '{first.Name}' {first.Channels}×{first.Height}×{first.Width}; joined splits must agree");
        var labeled = keepLabels && parts.All(p => p.Labels is not null && p.ClassNames.SequenceEqual(first.ClassNames, StringComparer.Ordinal));
        using var scope = NewDisposeScope();
        var pixels = cat(parts.Select(p => p.Range(0, p.Count)).ToArray(), 0).contiguous(); // [ΣN, C, H, W]
        return new ImageDataset(name, pixels.MoveToOuterDisposeScope(), labeled ? parts.SelectMany(p => p.Labels!).ToArray() : null, labeled ? first.ClassNames : null);
    }

    /// <summary>
    /// The same pixels under other labels and class names. The new dataset takes this one's pixels over: dispose only
    /// the new one.
    /// </summary>
    internal ImageDataset WithLabels(long[] labels, IReadOnlyList<string> classNames) => images is not null
        ? new ImageDataset(Name, images, labels, classNames)
        : new ImageDataset(Name, file!, Channels, Height, Width, labels, classNames);

    public void Dispose()
    {
        images?.Dispose();
        file?.Dispose();
    }
}
