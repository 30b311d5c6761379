namespace SelfSup.Data;

/// <summary>
/// One entry point for every dataset source: a built-in name (<see cref="BuiltinNames"/>) or a path to an
/// image folder, an NPZ file, IDX files or CIFAR-10 batches. Decoded image folders go through the packed cache.
/// </summary>
public static class Datasets
{
    /// <summary>
    /// The split name for every row of a source without a test split of its own (a folder, a single IDX file or .bin
    /// batch, a packed file), in the source's order, no hold-out (e.g. to index a whole image collection).
    /// </summary>
    public const string AllSplit = "all";

    /// <summary>Names that <see cref="Load"/> prepares by itself.</summary>
    public static IReadOnlyList<string> BuiltinNames => BuiltinDatasets.Names;

    /// <summary>
    /// Loads one split. An existing path wins over a built-in name. Path forms: a folder with train/ and test/
    /// subfolders (image folder of that split), a folder of class folders, a .npz file, an IDX images file or a folder
    /// holding {train,t10k}-images-idx3-ubyte[.gz], a folder of CIFAR-10 binary or Python batches, a single CIFAR-10
    /// .bin batch. Sources without a test split of their own (a folder of class folders, a single IDX file or a folder
    /// with only one of train/t10k, a single .bin batch) are split by <see cref="DatasetOptions.HoldOut"/>: "test" is
    /// the held-out rows and "train" the rest, never the same rows. With <see cref="DatasetOptions.TestData"/> the test
    /// split is that folder instead and "train" is all of the source's training images (see <see cref="LoadSplit"/>).
    /// </summary>
    public static ImageDataset Load(string nameOrPath, string split = "train", DatasetOptions? options = null) =>
        LoadSplit(nameOrPath, split, options).Data;

    /// <summary>
    /// As <see cref="Load"/>, also saying whether the test split was given or held out. With
    /// <see cref="DatasetOptions.TestData"/>, "test" is that folder (its class folders, or the images
    /// <see cref="DatasetOptions.TestLabels"/> names in it, labelled with the training classes), "train" is the source's
    /// training images without any hold-out, the split is recorded as given by that folder, and a test image that is
    /// also a training image is an error naming both.
    /// </summary>
    public static SplitData LoadSplit(string nameOrPath, string split = "train", DatasetOptions? options = null)
    {
        options ??= new DatasetOptions();
        var cacheDir = options.CacheDir ?? PackedCache.DefaultDirectory();
        var sourceLabels = options.Labels ?? (options.TestData is null ? options.TestLabels : null);
        if (sourceLabels is not null && !Directory.Exists(nameOrPath))
            throw new ArgumentException($"{sourceLabels}: a label file labels the images of an image folder; {nameOrPath} is not a folder");
        if (options.TestData is { } testData)
        {
            if (!Directory.Exists(testData))
                throw new DirectoryNotFoundException($"--test-data {testData}: not a folder; expected a folder of class folders, or a folder whose images --test-labels names");
            if (split == "test") return LoadTestData(nameOrPath, testData, options, cacheDir);
        }
        var loaded = LoadSource(nameOrPath, split, options, cacheDir);
        return options.TestData is null ? loaded : loaded with { TestSplit = GivenBy(options, loaded.TestSplit.Source) };
    }

    static SplitData LoadSource(string nameOrPath, string split, DatasetOptions options, string cacheDir)
    {
        if (File.Exists(nameOrPath)) return LoadFile(nameOrPath, split, options);
        if (Directory.Exists(nameOrPath)) return LoadDirectory(nameOrPath, split, options, cacheDir);
        if (BuiltinDatasets.Canonical(nameOrPath) is { } builtin)
            return Given(BuiltinDatasets.Load(builtin, split, options, cacheDir), builtin);
        throw new FileNotFoundException(
            $"{nameOrPath}: no such file or folder, and not a built-in dataset ({string.Join(", ", BuiltinNames)})", nameOrPath);
    }

    /// <summary>The split record of a test split given by <see cref="DatasetOptions.TestData"/>.</summary>
    static TestSplit GivenBy(DatasetOptions o, string source) => new()
    {
        Source = source,
        Kind = TestSplitKind.Given,
        TestSource = Path.GetFullPath(o.TestData!) + (o.TestLabels is { } f ? $" labelled by {Path.GetFullPath(f)}" : ""),
    };

    /// <summary>
    /// The test split of <see cref="DatasetOptions.TestData"/>: checked to share no image file with the training rows,
    /// and labelled with the training split's class names (a class the training split lacks is an error).
    /// </summary>
    static SplitData LoadTestData(string nameOrPath, string testDir, DatasetOptions o, string cacheDir)
    {
        if (o.TestLabels is null && Directory.EnumerateFiles(testDir).Any(ImageFolderReader.IsImage))
            throw new ArgumentException($"--test-data {testDir}: its images are not in class folders; expected {testDir}/<class>/*.png, or --test-labels naming its images and their classes");
        var testFiles = o.TestLabels is { } file
            ? LabelFile.Read(file, testDir).Select(r => Path.GetFullPath(Path.Combine(testDir, r.Path)))
            : ImageFiles(testDir);
        var trainFiles = TrainingFiles(nameOrPath, o);
        if (testFiles.FirstOrDefault(trainFiles.Contains) is { } shared)
            throw new ArgumentException($"--test-data {testDir}: {shared} is also a training image of {nameOrPath}; the test split must not share images with the training split");
        var (trainData, trainSplit) = LoadSplit(nameOrPath, "train", o);
        using (trainData)
        {
            var test = o.TestLabels is { } labels
                ? CachedLabeled(testDir, labels, FolderName(testDir) + "-test", o, cacheDir)
                : CachedFolder(testDir, FolderName(testDir) + "-test", o with { Unlabeled = false }, cacheDir);
            return new(WithClassesOf(test, trainData, testDir), trainSplit);
        }
    }

    /// <summary>The test split labelled by the training split's class indices; the same dataset when they already agree.</summary>
    static ImageDataset WithClassesOf(ImageDataset test, ImageDataset train, string testDir)
    {
        if (!train.HasLabels || test.ClassNames.SequenceEqual(train.ClassNames, StringComparer.Ordinal)) return test;
        var index = train.ClassNames.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => (long)t.i, StringComparer.Ordinal);
        if (test.ClassNames.FirstOrDefault(c => !index.ContainsKey(c)) is { } unknown)
        {
            test.Dispose();
            throw new ArgumentException($"--test-data {testDir}: class '{unknown}' is not a training class; expected classes among {string.Join(", ", train.ClassNames)}");
        }
        return test.WithLabels(test.Labels!.Select(l => index[test.ClassNames[(int)l]]).ToArray(), train.ClassNames);
    }

    /// <summary>Full paths of the image files the training rows of a folder source may come from (none for other sources).</summary>
    static HashSet<string> TrainingFiles(string nameOrPath, DatasetOptions o)
    {
        if (!Directory.Exists(nameOrPath)) return [];
        if (o.Labels is { } labels)
            return LabelFile.Read(labels, nameOrPath).Select(r => Path.GetFullPath(Path.Combine(nameOrPath, r.Path))).ToHashSet(StringComparer.Ordinal);
        var trainDir = Path.Combine(nameOrPath, "train");
        var root = Directory.Exists(trainDir) && Directory.Exists(Path.Combine(nameOrPath, "test")) ? trainDir : nameOrPath;
        return ImageFiles(root).ToHashSet(StringComparer.Ordinal);
    }

    static IEnumerable<string> ImageFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(ImageFolderReader.IsImage).Select(Path.GetFullPath);

    static SplitData LoadFile(string path, string split, DatasetOptions o)
    {
        var file = Path.GetFileName(path);
        if (file.EndsWith(PackedCache.Extension, StringComparison.OrdinalIgnoreCase))
            return HeldOut(DatasetConform.Apply(PackedCache.Open(path, o.Storage, o.Log), o.ImageSize, o.Channels), split, o, file);
        if (file.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
            return Given(DatasetConform.Apply(NpzReader.Read(path, split), o.ImageSize, o.Channels), file);
        ImageDataset whole;
        if (file.Contains("images-idx3", StringComparison.Ordinal))
        {
            var labels = Path.Combine(Path.GetDirectoryName(path) ?? ".", file.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
            whole = IdxReader.Read(path, File.Exists(labels) ? labels : null);
        }
        else if (file.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            whole = CifarBinaryReader.ReadFiles([path], CifarBinaryReader.ReadClassNames(Path.GetDirectoryName(Path.GetFullPath(path))!), Path.GetFileNameWithoutExtension(path));
        }
        else
        {
            throw new ArgumentException(
                $"{path}: unrecognised dataset file; expected a packed dataset ({PackedCache.Extension}), a .npz, an IDX images file (*-images-idx3-ubyte[.gz]) or a CIFAR-10 .bin batch");
        }
        return HeldOut(DatasetConform.Apply(whole, o.ImageSize, o.Channels), split, o, file);
    }

    static SplitData LoadDirectory(string dir, string split, DatasetOptions o, string cacheDir)
    {
        if (o.Unlabeled && o.Labels is null)
            return HeldOut(CachedFolder(dir, FolderName(dir), o, cacheDir), split, o, FolderName(dir));
        var (trainIdx, testIdx) = (FindIdx(dir, "train"), FindIdx(dir, "t10k"));
        if (trainIdx is not null || testIdx is not null)
        {
            var given = trainIdx is not null && testIdx is not null;
            var prefix = given ? split switch { "train" => "train", "test" => "t10k", _ => null } : trainIdx is not null ? "train" : "t10k";
            var images = prefix is null
                ? throw new FileNotFoundException($"{dir}: no IDX images for split '{split}' (train → train-images-idx3-ubyte[.gz], test → t10k-images-idx3-ubyte[.gz])")
                : FindIdx(dir, prefix)!;
            var labels = LocalData.Find([dir], $"{prefix}-labels-idx1-ubyte", $"{prefix}-labels-idx1-ubyte.gz");
            var name = given ? $"{FolderName(dir)}-{split}" : FolderName(dir);
            var data = DatasetConform.Apply(IdxReader.Read(images, labels, name), o.ImageSize, o.Channels);
            return given ? Given(data, FolderName(dir)) : HeldOut(data, split, o, FolderName(dir));
        }
        foreach (var candidate in new[] { dir, Path.Combine(dir, "cifar-10-batches-bin") })
        {
            if (File.Exists(Path.Combine(candidate, "data_batch_1.bin")) || File.Exists(Path.Combine(candidate, "test_batch.bin")))
                return Given(DatasetConform.Apply(CifarBinaryReader.Read(candidate, split), o.ImageSize, o.Channels), FolderName(dir));
        }
        foreach (var candidate in new[] { dir, Path.Combine(dir, "cifar-10-batches-py") })
        {
            if (File.Exists(Path.Combine(candidate, "data_batch_1")) || File.Exists(Path.Combine(candidate, "test_batch")))
                return Given(DatasetConform.Apply(CifarPickleReader.Read(candidate, split), o.ImageSize, o.Channels), FolderName(dir));
        }
        var testLabels = o.TestData is null ? o.TestLabels : null; // with --test-data, they label that folder
        if (o.Labels is { } labelFile && testLabels is { } testFile)
        {
            CheckDisjoint(labelFile, testFile, dir);
            var source = $"{FolderName(dir)} labelled by {Path.GetFileName(labelFile)}, tested on {Path.GetFileName(testFile)}";
            return split switch
            {
                "train" => Given(CachedLabeled(dir, labelFile, FolderName(dir), o, cacheDir), source),
                "test" => Given(CachedLabeled(dir, testFile, FolderName(dir) + "-test", o, cacheDir), source),
                _ => throw new ArgumentException($"{source}: split '{split}' not found; the label files give 'train' and 'test'"),
            };
        }
        if (testLabels is not null)
            throw new ArgumentException($"--test-labels {testLabels}: needs --labels for the training rows beside it, or --test-data for the folder it labels");
        if (o.Labels is { } labelFileOnly)
            return HeldOut(CachedLabeled(dir, labelFileOnly, FolderName(dir), o, cacheDir), split, o, $"{FolderName(dir)} labelled by {Path.GetFileName(labelFileOnly)}");
        if (Directory.Exists(Path.Combine(dir, "train")) && Directory.Exists(Path.Combine(dir, "test")))
        {
            var splitDir = Path.Combine(dir, split);
            if (!Directory.Exists(splitDir))
                throw new DirectoryNotFoundException(
                    $"{dir}: split folder '{split}' not found; it has {string.Join(", ", Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal))}");
            return Given(CachedFolder(splitDir, $"{FolderName(dir)}-{split}", o, cacheDir), FolderName(dir));
        }
        return HeldOut(CachedFolder(dir, FolderName(dir), o, cacheDir), split, o, FolderName(dir));
    }

    static SplitData Given(ImageDataset data, string source) =>
        new(data, new TestSplit { Source = source, Kind = TestSplitKind.Given });

    /// <summary>
    /// The requested split of a source without a test split of its own: the held-out rows or the rest; all of it as the
    /// train split when <see cref="DatasetOptions.TestData"/> gives the test split.
    /// </summary>
    static SplitData HeldOut(ImageDataset whole, string split, DatasetOptions o, string source)
    {
        var holdOut = o.HoldOut;
        if (o.TestData is not null && split == "train") return new(whole, GivenBy(o, source));
        if (split == AllSplit) return new(whole, new TestSplit { Source = source, Kind = TestSplitKind.None });
        string? problem = split is not ("train" or "test")
            ? $"{source}: split '{split}' not found; a dataset without a test split of its own has 'train', a held-out 'test' and '{AllSplit}' (every row)"
            : !whole.HasLabels && split == "test"
                ? $"{source} has no test split and no labels to hold one out by; evaluation needs labelled images (class folders, an IDX labels file) or a dataset with a test split"
                : null;
        if (problem is not null)
        {
            whole.Dispose();
            throw new ArgumentException(problem);
        }
        if (!whole.HasLabels) return new(whole, new TestSplit { Source = source, Kind = TestSplitKind.None });
        var (train, test) = LabeledSplit.HoldOut(whole, holdOut);
        whole.Dispose();
        if (test.Count == 0)
        {
            train.Dispose();
            test.Dispose();
            throw new ArgumentException($"{source}: every class has fewer than 2 images, too few to hold out a test split");
        }
        var info = new TestSplit { Source = source, Kind = TestSplitKind.HeldOut, HoldOut = holdOut, TrainImages = train.Count, TestImages = test.Count };
        var (kept, dropped) = split == "train" ? (train, test) : (test, train);
        dropped.Dispose();
        return new(kept, info);
    }

    static ImageDataset CachedFolder(string folder, string name, DatasetOptions o, string cacheDir)
    {
        // v3: resize mode and 16-bit window
        var key = $"folder|{PackedCache.SourceKey(folder)}|{DecodeKey(o)}|unlabeled={o.Unlabeled}|v3";
        var path = PackedCache.PathFor(cacheDir, name, key);
        return PackedCache.GetOrPack(path, w => ImageFolderReader.Pack(folder, o, name, w), o.Log, o.Storage);
    }

    /// <summary>A test row may never be a training row: a path in both label files is an error naming both lines.</summary>
    static void CheckDisjoint(string labels, string testLabels, string root)
    {
        var train = LabelFile.Read(labels, root).ToDictionary(r => r.Path, r => r.Line, StringComparer.Ordinal);
        foreach (var row in LabelFile.Read(testLabels, root))
            if (train.TryGetValue(row.Path, out var line))
                throw new InvalidDataException($"{testLabels} line {row.Line}: '{row.Path}' is also a training row ({labels} line {line}); the test split must not share images with the training split");
    }

    /// <summary>The images a label file names, labelled by it, cached under a key of the folder and the label file.</summary>
    static ImageDataset CachedLabeled(string folder, string labels, string name, DatasetOptions o, string cacheDir)
    {
        var key = $"labeled|{PackedCache.SourceKey(folder)}|{PackedCache.SourceKey(labels)}|{DecodeKey(o)}|v2"; // v2: resize mode and 16-bit window
        var path = PackedCache.PathFor(cacheDir, $"{name}-labeled", key);
        return PackedCache.GetOrPack(path, w => ImageFolderReader.PackLabeled(folder, LabelFile.Read(labels, folder), o, $"{name}-labeled", w), o.Log, o.Storage);
    }

    /// <summary>Every option that changes the decoded pixels, for the packed-cache keys.</summary>
    static string DecodeKey(DatasetOptions o) =>
        $"size={o.ImageSize}|channels={o.Channels}|skip={o.SkipBadImages}|resize={o.Resize}|window={o.Window?.ToString() ?? "own-range"}";

    static string FolderName(string dir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));

    static string? FindIdx(string dir, string prefix) =>
        LocalData.Find([dir], $"{prefix}-images-idx3-ubyte", $"{prefix}-images-idx3-ubyte.gz");
}
