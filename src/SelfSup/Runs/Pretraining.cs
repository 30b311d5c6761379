using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>
/// Everything a pretraining run is made of, built from one <see cref="RunConfig"/>: the training images, the
/// encoder, the method with its views, and the Trainer. The CLI, the demo and the tests build runs this way, so
/// a checkpoint's config alone rebuilds the same encoder.
/// </summary>
public sealed class Pretraining : IDisposable
{
    Pretraining(RunConfig config, ImageDataset data, SslMethod method, IViewRecipe views, DataLoader loader, string runDir)
    {
        Config = config;
        Data = data;
        Method = method;
        Views = views;
        Loader = loader;
        RunDir = runDir;
        Trainer = new Trainer(method, views, loader, config, runDir);
    }

    /// <summary>The resolved configuration (image size, channels and normalisation filled in from the data).</summary>
    public RunConfig Config { get; }
    public ImageDataset Data { get; }
    public SslMethod Method { get; }
    public IViewRecipe Views { get; }
    public DataLoader Loader { get; }
    public string RunDir { get; }
    public Trainer Trainer { get; }

    /// <summary>
    /// Loads the data and builds the run. Validates everything before anything is written to <paramref name="runDir"/>.
    /// With <see cref="RunConfig.Init"/> set and <paramref name="loadInit"/> true (a fresh run; a resumed one reads its
    /// checkpoint instead), the encoder starts from that file (<see cref="InitWeights"/>) and the config records its SHA-256.
    /// </summary>
    public static Pretraining Create(RunConfig config, string runDir, DatasetOptions? dataOptions = null, bool loadInit = true)
    {
        TorchRuntime.Initialize(config.Threads > 0 ? config.Threads : null);
        var info = MethodRegistry.Get(config.Method);
        if (!EncoderRegistry.IsKnown(config.Encoder))
            throw new ArgumentException($"unknown encoder '{config.Encoder}'; expected one of: {string.Join(", ", EncoderRegistry.Names)}");
        var data = LoadTrainingImages(config, dataOptions);
        try
        {
            var stats = config.NormalizeMean.Length > 0 ? new ChannelStats(config.NormalizeMean, config.NormalizeStd) : ChannelStats.Measure(data);
            var resolved = config with
            {
                TrainImages = data.Count,
                ImageSize = data.Height,
                Channels = data.Channels,
                NormalizeMean = stats.Mean,
                NormalizeStd = stats.Std,
            };
            if (loadInit && resolved.Init is { } init) resolved = resolved with { InitSha256 = InitDigest(resolved, init) };
            var loader = new DataLoader(data, resolved.BatchSize, (int)resolved.Seed);
            var (method, views) = BuildMethod(resolved, info);
            try
            {
                if (loadInit && resolved.Init is { } path)
                {
                    var import = InitWeights.Apply(method, path);
                    dataOptions?.Log?.Report($"init: {import.Loaded} tensors from {path} ({import.Library} names, sha256 {resolved.InitSha256})"
                        + (import.SkippedClassifierKeys.Count > 0 ? $"; classifier keys skipped: {string.Join(", ", import.SkippedClassifierKeys)}" : ""));
                }
            }
            catch
            {
                method.Dispose();
                throw;
            }
            return new Pretraining(resolved, data, method, views, loader, runDir);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>The SHA-256 of the init file, checked against the one the config already records (a run file or a resumed run).</summary>
    static string InitDigest(RunConfig config, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"init: weights file {path} not found", path);
        var digest = Interop.EncoderWeights.Sha256(path);
        if (config.InitSha256 is { } recorded && !string.Equals(recorded, digest, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"init: {path} has SHA-256 {digest}, expected the recorded init_sha256 {recorded}");
        return digest;
    }

    /// <summary>
    /// The training split, resized/converted as the config asks and limited to a seeded subset when asked. A labelled
    /// dataset without a test split of its own gives the rows not held out for testing (<see cref="DatasetOptions.HoldOut"/>),
    /// or all of them when <see cref="RunConfig.TestData"/> gives the test split.
    /// </summary>
    public static ImageDataset LoadTrainingImages(RunConfig config, DatasetOptions? dataOptions = null)
    {
        var options = config.DecodingOf(dataOptions ?? new DatasetOptions()) with
        {
            ImageSize = config.ImageSize > 0 ? config.ImageSize : dataOptions?.ImageSize,
            Channels = config.Channels > 0 ? config.Channels : dataOptions?.Channels,
            Unlabeled = config.Unlabeled || (dataOptions?.Unlabeled ?? false),
            SkipBadImages = config.SkipBadImages || (dataOptions?.SkipBadImages ?? false),
            Storage = DataStorageNames.Parse(config.Storage, "storage"),
            TestData = config.TestData ?? dataOptions?.TestData, // a separate test folder: nothing is held out
        };
        if (config.Captions is { } captions)
        {
            if (config.DataLimit is not null)
                throw new ArgumentException($"data_limit cannot be used with captions ({captions}): the training rows are the captions file's images");
            return ImageCaptions.Read(captions, config.Data, options with { SkipBadImages = false }).Images;
        }
        var splits = PretrainSplitNames(config.PretrainSplits);
        var parts = new List<ImageDataset>();
        try
        {
            foreach (var name in splits)
            {
                var (part, split) = Datasets.LoadSplit(config.Data, name, options);
                parts.Add(part);
                if (parts.Count == 1 && split.Describe() is { } line) options.Log?.Report(line);
            }
            var data = parts.Count == 1 ? parts[0] : ImageDataset.Concat(parts, $"{parts[0].Name}+{string.Join("+", splits.Skip(1))}", keepLabels: false);
            if (parts.Count > 1) options.Log?.Report($"pretraining on the {string.Join(" + ", splits)} splits of {config.Data} ({string.Join(" + ", parts.Select(p => p.Count))} = {data.Count} images)");
            if (parts.Count > 1) parts.ForEach(p => p.Dispose());
            parts.Clear();
            return LimitTo(data, config.DataLimit, (int)config.Seed);
        }
        finally
        {
            parts.ForEach(p => p.Dispose());
        }
    }

    /// <summary>The split names of <see cref="RunConfig.PretrainSplits"/> ("train+val" → train, val); ["train"] when unset.</summary>
    public static IReadOnlyList<string> PretrainSplitNames(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return ["train"];
        var names = text.Split('+', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new ArgumentException($"pretrain_splits: expected split names joined by '+', each once (e.g. train+val), got '{text}'");
        return names;
    }

    /// <summary>A seeded subset of <paramref name="limit"/> rows (the dataset itself when no limit applies).</summary>
    public static ImageDataset LimitTo(ImageDataset data, int? limit, int seed)
    {
        if (limit is not { } n || n >= data.Count) return data;
        var subset = data.Subset(LimitRows(data.Count, n, seed));
        data.Dispose();
        return subset;
    }

    /// <summary>The rows <see cref="LimitTo"/> keeps of <paramref name="count"/>: a seeded sample, or all in order when no limit applies.</summary>
    public static long[] LimitRows(int count, int? limit, int seed)
    {
        var order = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        if (limit is not { } n || n >= count) return order;
        if (n <= 0) throw new ArgumentException($"data_limit must be positive, got {n}");
        new Random(seed).Shuffle(order);
        return order[..n];
    }

    /// <summary>The encoder a config describes, freshly initialised from the config's seed (before the method touches it).</summary>
    public static Encoder BuildEncoder(RunConfig config)
    {
        manual_seed(config.Seed);
        return EncoderRegistry.Create(EncoderName(config), EncoderOptionsOf(config));
    }

    /// <summary>The options of the encoder the config's method builds (its input channels may differ from the images').</summary>
    static EncoderOptions EncoderOptionsOf(RunConfig config)
    {
        var channels = MethodRegistry.IsKnown(config.Method) ? MethodRegistry.Get(config.Method).EncoderChannels(config.Channels) : config.Channels;
        return new EncoderOptions(channels, config.ImageSize, config.Width, config.Stem);
    }

    /// <summary>The encoder name the config's method builds (its variant of the configured name).</summary>
    static string EncoderName(RunConfig config) =>
        MethodRegistry.IsKnown(config.Method) ? MethodRegistry.Get(config.Method).EncoderName(config.Encoder) : config.Encoder;

    /// <summary>Method and views for a resolved config (image size, channels and normalisation known).</summary>
    public static (SslMethod Method, IViewRecipe Views) BuildMethod(RunConfig config, MethodInfo? info = null)
    {
        info ??= MethodRegistry.Get(config.Method);
        var encoder = BuildEncoder(config);
        Encoder Another() => EncoderRegistry.Create(EncoderName(config), EncoderOptionsOf(config));
        var ctx = new MethodContext(encoder, Another, config.ImageSize, config.Channels, new ChannelStats(config.NormalizeMean, config.NormalizeStd), config.MethodOptions)
        {
            TrainImages = config.TrainImages,
            Captions = config.Captions,
            CreateEncoderWith = change => EncoderRegistry.Create(EncoderName(config), change(EncoderOptionsOf(config))),
        };
        return (info.Create(ctx), info.CreateViews(ctx));
    }

    /// <summary>
    /// A random-init representation built exactly as a trained one is: the method from the config's seed, then its
    /// <see cref="SslMethod.Representation"/>, so a method that re-initialises or wraps its encoder gives the same kind
    /// of baseline. Only the representation is returned (its parameter names stay the encoder's); the method's other
    /// parts (heads, teacher) are unreferenced and their native memory is released by the garbage collector.
    /// </summary>
    public static Encoder BuildRepresentation(RunConfig config) => BuildMethod(config).Method.Representation;

    public void Dispose()
    {
        Method.Dispose();
        Data.Dispose();
    }
}
