namespace SelfSup.Data;

/// <summary>
/// One entry point for every dataset source: a built-in name (<see cref="BuiltinNames"/>) or a path to an
/// image folder, an NPZ file, IDX files or CIFAR-10 batches. Decoded image folders go through the packed cache.
/// </summary>
public static class Datasets
{
    /// <summary>Names that <see cref="Load"/> prepares by itself.</summary>
    public static IReadOnlyList<string> BuiltinNames => BuiltinDatasets.Names;

    /// <summary>
    /// Loads one split. An existing path wins over a built-in name. Path forms: a folder with train/ and test/
    /// subfolders (image folder of that split), a folder of class folders (split ignored), a .npz file, an IDX
    /// images file or a folder holding {train,t10k}-images-idx3-ubyte[.gz], a folder of CIFAR-10 binary batches.
    /// </summary>
    public static ImageDataset Load(string nameOrPath, string split = "train", DatasetOptions? options = null)
    {
        options ??= new DatasetOptions();
        var cacheDir = options.CacheDir ?? PackedCache.DefaultDirectory();
        if (File.Exists(nameOrPath)) return LoadFile(nameOrPath, split, options);
        if (Directory.Exists(nameOrPath)) return LoadDirectory(nameOrPath, split, options, cacheDir);
        if (BuiltinDatasets.Canonical(nameOrPath) is { } builtin)
            return BuiltinDatasets.Load(builtin, split, options, cacheDir);
        throw new FileNotFoundException(
            $"{nameOrPath}: no such file or folder, and not a built-in dataset ({string.Join(", ", BuiltinNames)})", nameOrPath);
    }

    static ImageDataset LoadFile(string path, string split, DatasetOptions o)
    {
        var file = Path.GetFileName(path);
        ImageDataset data;
        if (file.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
        {
            data = NpzReader.Read(path, split);
        }
        else if (file.Contains("images-idx3", StringComparison.Ordinal))
        {
            var labels = Path.Combine(Path.GetDirectoryName(path) ?? ".", file.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
            data = IdxReader.Read(path, File.Exists(labels) ? labels : null);
        }
        else if (file.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            data = CifarBinaryReader.ReadFiles([path], CifarBinaryReader.ReadClassNames(Path.GetDirectoryName(Path.GetFullPath(path))!), Path.GetFileNameWithoutExtension(path));
        }
        else
        {
            throw new ArgumentException(
                $"{path}: unrecognised dataset file; expected a .npz, an IDX images file (*-images-idx3-ubyte[.gz]) or a CIFAR-10 .bin batch");
        }
        return DatasetConform.Apply(data, o.ImageSize, o.Channels);
    }

    static ImageDataset LoadDirectory(string dir, string split, DatasetOptions o, string cacheDir)
    {
        var idxPrefix = split switch { "train" => "train", "test" => "t10k", _ => null };
        if (FindIdx(dir, "train") is not null || FindIdx(dir, "t10k") is not null)
        {
            var images = (idxPrefix is null ? null : FindIdx(dir, idxPrefix))
                ?? throw new FileNotFoundException($"{dir}: no IDX images for split '{split}' (train → train-images-idx3-ubyte[.gz], test → t10k-images-idx3-ubyte[.gz])");
            var labels = LocalData.Find([dir], $"{idxPrefix}-labels-idx1-ubyte", $"{idxPrefix}-labels-idx1-ubyte.gz");
            return DatasetConform.Apply(IdxReader.Read(images, labels, $"{FolderName(dir)}-{split}"), o.ImageSize, o.Channels);
        }
        foreach (var candidate in new[] { dir, Path.Combine(dir, "cifar-10-batches-bin") })
        {
            if (File.Exists(Path.Combine(candidate, "data_batch_1.bin")) || File.Exists(Path.Combine(candidate, "test_batch.bin")))
                return DatasetConform.Apply(CifarBinaryReader.Read(candidate, split), o.ImageSize, o.Channels);
        }
        foreach (var candidate in new[] { dir, Path.Combine(dir, "cifar-10-batches-py") })
        {
            if (File.Exists(Path.Combine(candidate, "data_batch_1")) || File.Exists(Path.Combine(candidate, "test_batch")))
                return DatasetConform.Apply(CifarPickleReader.Read(candidate, split), o.ImageSize, o.Channels);
        }
        if (Directory.Exists(Path.Combine(dir, "train")) && Directory.Exists(Path.Combine(dir, "test")))
        {
            var splitDir = Path.Combine(dir, split);
            if (!Directory.Exists(splitDir))
                throw new DirectoryNotFoundException(
                    $"{dir}: split folder '{split}' not found; it has {string.Join(", ", Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal))}");
            return CachedFolder(splitDir, $"{FolderName(dir)}-{split}", o, cacheDir);
        }
        return CachedFolder(dir, FolderName(dir), o, cacheDir);
    }

    static ImageDataset CachedFolder(string folder, string name, DatasetOptions o, string cacheDir)
    {
        var key = $"folder|{PackedCache.SourceKey(folder)}|size={o.ImageSize}|channels={o.Channels}|v1";
        var path = PackedCache.PathFor(cacheDir, name, key);
        return PackedCache.GetOrCreate(path, () => ImageFolderReader.Read(folder, o.ImageSize, o.Channels, name, o.Log), o.Log);
    }

    static string FolderName(string dir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));

    static string? FindIdx(string dir, string prefix) =>
        LocalData.Find([dir], $"{prefix}-images-idx3-ubyte", $"{prefix}-images-idx3-ubyte.gz");
}
