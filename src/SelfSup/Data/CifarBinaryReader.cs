namespace SelfSup.Data;

/// <summary>
/// Reads CIFAR-10 binary batches: records of 1 label byte followed by 3072 pixel bytes (1024 red, 1024 green,
/// 1024 blue, row-major 32×32), i.e. already planar [C, H, W]. Class names come from <c>batches.meta.txt</c>.
/// </summary>
public static class CifarBinaryReader
{
    public const int Side = 32;
    public const int RecordSize = 1 + 3 * Side * Side;

    /// <summary>The batch files of a split: <c>data_batch_1..5.bin</c> for train, <c>test_batch.bin</c> for test.</summary>
    public static IReadOnlyList<string> SplitFiles(string dir, string split) => split switch
    {
        "train" => Enumerable.Range(1, 5).Select(i => Path.Combine(dir, $"data_batch_{i}.bin")).ToArray(),
        "test" => [Path.Combine(dir, "test_batch.bin")],
        _ => throw new ArgumentException($"{dir}: CIFAR-10 split 'train' or 'test' expected, got '{split}'"),
    };

    /// <summary>Reads one split of a folder holding the batches (and usually batches.meta.txt).</summary>
    public static ImageDataset Read(string dir, string split = "train", string? name = null)
    {
        var files = SplitFiles(dir, split);
        var missing = files.Where(f => !File.Exists(f)).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException($"{dir}: CIFAR-10 {split} batch files missing: {string.Join(", ", missing.Select(Path.GetFileName))}", missing[0]);
        return ReadFiles(files, ReadClassNames(dir), name ?? $"cifar10-{split}");
    }

    /// <summary>Concatenates the records of the given batch files.</summary>
    public static ImageDataset ReadFiles(IReadOnlyList<string> files, IReadOnlyList<string>? classNames, string name)
    {
        var contents = files.Select(f => (Path: f, Bytes: File.ReadAllBytes(f))).ToArray();
        foreach (var (path, bytes) in contents)
        {
            if (bytes.Length == 0 || bytes.Length % RecordSize != 0)
                throw new InvalidDataException($"{path}: length {bytes.Length} is not a positive multiple of the {RecordSize}-byte CIFAR-10 record");
        }
        var n = contents.Sum(c => c.Bytes.Length / RecordSize);
        var pixels = new byte[(long)n * (RecordSize - 1)];
        var labels = new long[n];
        var row = 0;
        foreach (var (path, bytes) in contents)
        {
            for (var r = 0; r < bytes.Length / RecordSize; r++, row++)
            {
                var label = bytes[r * RecordSize];
                if (classNames is not null && label >= classNames.Count)
                    throw new InvalidDataException($"{path}: record {r} has label {label}, but there are {classNames.Count} classes");
                labels[row] = label;
                bytes.AsSpan(r * RecordSize + 1, RecordSize - 1).CopyTo(pixels.AsSpan(row * (RecordSize - 1)));
            }
        }
        var images = TensorBytes.ToByteTensor(pixels, 0, [n, 3, Side, Side]);
        return new ImageDataset(name, images, labels, classNames);
    }

    /// <summary>Non-empty lines of batches.meta.txt, or null when the file is absent.</summary>
    internal static IReadOnlyList<string>? ReadClassNames(string dir)
    {
        var meta = Path.Combine(dir, "batches.meta.txt");
        if (!File.Exists(meta)) return null;
        return File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }
}
