using System.Text.Json.Nodes;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>Which data <see cref="EvaluationData.Open"/> evaluates a checkpoint on.</summary>
public sealed record EvalDataSettings
{
    /// <summary>Dataset name or path (null: the one the checkpoint was pretrained on).</summary>
    public string? Data { get; init; }
    /// <summary>Use a seeded subset of this many training images (null: all).</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Use a seeded subset of this many test images (null: all).</summary>
    public int? TestLimit { get; init; }
    /// <summary>A label file (CSV or TSV, <c>path,label</c>, paths relative to the image folder) labelling a subset of the data (see <see cref="DatasetOptions.Labels"/>).</summary>
    public string? Labels { get; init; }
    /// <summary>A label file for the test split: of <see cref="TestData"/> when set, else disjoint from <see cref="Labels"/> (see <see cref="DatasetOptions.TestLabels"/>).</summary>
    public string? TestLabels { get; init; }
    /// <summary>A separate image folder that is the test split instead of a hold-out (see <see cref="DatasetOptions.TestData"/>).</summary>
    public string? TestData { get; init; }
    /// <summary>How images become squares; null: as the checkpoint was pretrained.</summary>
    public ResizeMode? Resize { get; init; }
    /// <summary>A fixed 16-bit intensity window; null: as the checkpoint was pretrained.</summary>
    public IntensityWindow? Window { get; init; }
    /// <summary>How a ViT's tokens become the representation (its CLS token, or the mean of its patch tokens); null: as pretrained.</summary>
    public VitPool? Pool { get; init; }
    /// <summary>Share of every class held out as the test split when the dataset has no test split of its own.</summary>
    public double TestFraction { get; init; } = 0.2;
    /// <summary>Seeds the train/test subsets (the hold-out itself has its own seed, <see cref="TestHoldOut.Seed"/>, as pretraining uses).</summary>
    public int Seed { get; init; }
    /// <summary>Receives data preparation lines and, once, how the test split was made when it was not given.</summary>
    public IProgress<string>? Log { get; init; }
}

/// <summary>
/// The one way evaluation opens "checkpoint + splits": the trained encoder, its normalisation, and the train and
/// test splits of the evaluation data at the checkpoint's image size, channels, resize mode and intensity window. The
/// test split is the dataset's own, a separate folder (<see cref="EvalDataSettings.TestData"/>, by default the run's) or a
/// seeded, stratified hold-out (<see cref="Datasets.LoadSplit"/>), never the training rows. Splits load on
/// first use, so a command that needs one split reads only that one.
/// </summary>
public sealed class EvaluationData : IDisposable
{
    readonly EvalDataSettings settings;
    readonly Dictionary<string, ImageDataset> splits = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> splitSizes = new(StringComparer.Ordinal);
    TestSplit? testSplit;

    EvaluationData(string checkpointPath, TrainedEncoder trained, EvalDataSettings settings)
    {
        this.settings = settings;
        CheckpointPath = Path.GetFullPath(checkpointPath);
        Trained = trained;
        DataName = settings.Data ?? trained.Config.Data;
        // The run's own test source by default, unless the data or the test source is named here.
        var ownTest = settings.Data is null && settings.TestData is null && settings.TestLabels is null;
        var config = trained.Config;
        var decoding = config.DecodingOf(new DatasetOptions()); // images decoded as pretraining decoded them
        DataOptions = new DatasetOptions
        {
            ImageSize = config.ImageSize,
            Channels = config.Channels,
            HoldOut = new TestHoldOut(settings.TestFraction),
            Labels = settings.Labels ?? (settings.Data is null ? config.Labels : null), // the run's own label file by default
            TestLabels = ownTest ? config.TestLabels : settings.TestLabels,
            TestData = ownTest ? config.TestData : settings.TestData,
            Unlabeled = settings.Data is null && config.Unlabeled, // the pretraining pile, read as it was
            SkipBadImages = config.SkipBadImages,
            Resize = settings.Resize ?? decoding.Resize,
            Window = settings.Window ?? decoding.Window,
            Storage = DataStorageNames.Parse(config.Storage, "storage"),
            Log = settings.Log,
        };
    }

    /// <summary>Loads the checkpoint; the splits load when first asked for.</summary>
    public static EvaluationData Open(string checkpointPath, EvalDataSettings settings)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"--checkpoint: no checkpoint at {checkpointPath}", checkpointPath);
        if (!(settings.TestFraction > 0 && settings.TestFraction < 1))
            throw new ArgumentException($"--test-fraction: expected a number in (0, 1), got {settings.TestFraction}");
        return new EvaluationData(checkpointPath, TrainedEncoder.Load(checkpointPath, settings.Pool), settings);
    }

    /// <summary>Full path of the checkpoint file.</summary>
    public string CheckpointPath { get; }
    public TrainedEncoder Trained { get; }
    public RunConfig Config => Trained.Config;
    /// <summary>The normalisation the encoder was pretrained with.</summary>
    public ChannelStats Stats => Trained.Stats;
    /// <summary>The evaluation dataset's name or path.</summary>
    public string DataName { get; }
    /// <summary>Options that load any dataset as this one is loaded (image size, channels, hold-out), e.g. an OOD set.</summary>
    public DatasetOptions DataOptions { get; }
    public int Seed => settings.Seed;

    /// <summary>The train split (a seeded subset of <see cref="EvalDataSettings.TrainLimit"/> images when set).</summary>
    public ImageDataset Train => Split("train");

    /// <summary>The test split (given or held out; a seeded subset of <see cref="EvalDataSettings.TestLimit"/> images when set).</summary>
    public ImageDataset Test => Split("test");

    /// <summary>How the test split came about; loads the test split when no split is loaded yet.</summary>
    public TestSplit TestSplit
    {
        get
        {
            if (testSplit is null) _ = Test;
            return testSplit!;
        }
    }

    /// <summary>
    /// A split by name: train and test as <see cref="Train"/> and <see cref="Test"/>, any other (e.g. "val") whole.
    /// Owned by this object.
    /// </summary>
    public ImageDataset Split(string name)
    {
        if (splits.TryGetValue(name, out var loaded)) return loaded;
        var (data, split) = Datasets.LoadSplit(DataName, name, DataOptions);
        if (testSplit is null && split.Describe() is { } line) settings.Log?.Report(line);
        testSplit ??= split;
        splitSizes[name] = data.Count;
        var limit = name switch { "train" => settings.TrainLimit, "test" => settings.TestLimit, _ => null };
        return splits[name] = Pretraining.LimitTo(data, limit, settings.Seed);
    }

    /// <summary>Throws unless the train and test splits both carry labels.</summary>
    public void RequireLabels(string what)
    {
        if (!Train.HasLabels || !Test.HasLabels)
            throw new ArgumentException($"{DataName}: {what} needs labels on the train and test splits");
    }

    /// <summary>Images in a loaded split before any train/test limit; null when it is not loaded.</summary>
    public int? SplitSize(string name) => splitSizes.TryGetValue(name, out var n) ? n : null;

    /// <summary>
    /// What results files record about the split: <c>test_split</c> ("given" or e.g. "held_out_20pct_seed_0"), where a
    /// given test split that is not the dataset's own comes from (<c>test_split_source</c>), and the sizes of the
    /// loaded splits before any limit (<c>split_train_images</c>, <c>split_test_images</c>).
    /// </summary>
    public JsonObject SplitFields()
    {
        var fields = new JsonObject { ["test_split"] = TestSplit.Key };
        if (TestSplit.TestSource is { } source) fields["test_split_source"] = source;
        if (SplitSize("train") is { } train) fields["split_train_images"] = train;
        if (SplitSize("test") is { } test) fields["split_test_images"] = test;
        return fields;
    }

    public void Dispose()
    {
        foreach (var data in splits.Values) data.Dispose();
        splits.Clear();
        Trained.Dispose();
    }
}
