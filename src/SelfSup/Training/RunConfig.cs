using System.Text.Json;
using System.Text.Json.Serialization;
using SelfSup.Data;

namespace SelfSup.Training;

/// <summary>
/// The resolved configuration of a pretraining run: written as config.yaml in the run folder and inside every
/// checkpoint, so a checkpoint alone rebuilds its encoder and method.
/// </summary>
public sealed record RunConfig
{
    public string Method { get; init; } = "simclr";
    /// <summary>Built-in dataset name (mnist, fashion-mnist, cifar10, pneumoniamnist) or a path.</summary>
    public string Data { get; init; } = "cifar10";
    /// <summary>Read an image-folder <see cref="Data"/> as an unlabeled pile at any depth, its sub-folders not taken for classes.</summary>
    public bool Unlabeled { get; init; }
    /// <summary>
    /// A label file labelling a subset of an image-folder <see cref="Data"/> (CSV or TSV, path,label): it never changes
    /// what pretraining reads, and it labels the online probe and, by default, evaluation of the checkpoint.
    /// </summary>
    public string? Labels { get; init; }
    /// <summary>
    /// A captions file (CSV path,caption or JSONL {"image", "caption"}; <see cref="ImageCaptions"/>) naming images under
    /// the image-folder <see cref="Data"/>: the training rows are its images, sorted by path, and a method that reads
    /// text (CLIP) pairs each with its captions. Null: the images of <see cref="Data"/>, captioned from their class names.
    /// </summary>
    public string? Captions { get; init; }
    /// <summary>Leave out image files that cannot be decoded (counted in the log) instead of stopping at the first.</summary>
    public bool SkipBadImages { get; init; }
    /// <summary>
    /// Where the training images live during the run: "memory", "file" (rows read from the packed cache as batches
    /// need them, for data larger than memory) or "auto" (file when the pixels exceed a quarter of memory).
    /// </summary>
    public string Storage { get; init; } = "auto";
    /// <summary>
    /// A separate image folder that is the test split of the online probe and, by default, of evaluation (class
    /// folders, or labelled by <see cref="TestLabels"/>); nothing of <see cref="Data"/> is then held out.
    /// </summary>
    public string? TestData { get; init; }
    /// <summary>A label file of the test split: of <see cref="TestData"/> when set, else of <see cref="Data"/> beside <see cref="Labels"/>.</summary>
    public string? TestLabels { get; init; }
    /// <summary>How images become squares (<see cref="ResizeMode"/>): crop (shorter side, centre crop) or fit (longer side, black padding).</summary>
    public ResizeMode Resize { get; init; }
    /// <summary>A fixed intensity window <c>low:high</c> for 16-bit PNGs, in the file's units (<see cref="IntensityWindow"/>); null: each image's own range.</summary>
    public string? Window { get; init; }
    /// <summary>
    /// The splits of <see cref="Data"/> pretraining reads, joined in order and without their labels, e.g. "train+val"
    /// for a dataset whose validation images may be seen unlabeled (null: "train"). Evaluation still reads the train and
    /// test splits.
    /// </summary>
    public string? PretrainSplits { get; init; }
    /// <summary>Use only the first N shuffled training images (null: all).</summary>
    public int? DataLimit { get; init; }
    /// <summary>Number of training images the run used (filled in when the run is built); sizes per-row method state such as DeepCluster's pseudo-labels.</summary>
    public int TrainImages { get; init; }
    public string Encoder { get; init; } = "resnet18";
    /// <summary>
    /// Pretrained weights the encoder starts from instead of its random init: a .safetensors or .pt/.pth state dict
    /// in torchvision's names (ResNets) or timm's (ViTs), checked against the encoder before training (null: random init).
    /// </summary>
    public string? Init { get; init; }
    /// <summary>SHA-256 of <see cref="Init"/> (lower-case hex), recorded when the run is built and checked when it is set.</summary>
    public string? InitSha256 { get; init; }
    /// <summary>Encoder base width (0: the encoder's default).</summary>
    public int Width { get; init; }
    /// <summary>"cifar" or "imagenet"; null picks cifar for images ≤ 64 px.</summary>
    public string? Stem { get; init; }
    public int ImageSize { get; init; }
    public int Channels { get; init; }
    public int Epochs { get; init; } = 1;
    public int BatchSize { get; init; } = 256;
    /// <summary>The optimiser; the method's recipe sets it unless the run file or a flag does.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Lars;
    /// <summary>Peak learning rate after warm-up (absolute: the recipe's base rate already scaled to the batch size).</summary>
    public double LearningRate { get; init; } = 0.3;
    /// <summary>Weight decay (at the first step when <see cref="WeightDecayEnd"/> is set).</summary>
    public double WeightDecay { get; init; } = 1e-6;
    /// <summary>Weight decay at the last step, reached on a cosine (null: constant).</summary>
    public double? WeightDecayEnd { get; init; }
    public double Momentum { get; init; } = 0.9;
    /// <summary>AdamW's β₁.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>AdamW's β₂ (0.999 by default; MAE uses 0.95).</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary>Clip the global gradient norm to this before each optimizer step (0: off).</summary>
    public double GradClip { get; init; }
    /// <summary>LARS's trust coefficient η.</summary>
    public double LarsEta { get; init; } = TrainingOptimizer.DefaultLarsEta;
    /// <summary>LARS with solo-learn's clipping: each tensor's rate is min(η‖w‖/‖g‖, lr).</summary>
    public bool LarsClip { get; init; }
    public double WarmupEpochs { get; init; }
    public long Seed { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>libtorch intra-op threads (0: core count).</summary>
    public int Threads { get; init; }
    /// <summary>Write a checkpoint every N steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>
    /// How many steps whose loss or gradient norm is not finite the run skips (no optimizer step, no teacher update,
    /// the method's buffers restored) before it stops; 0: stop at the first. Skipped steps are logged in metrics.jsonl.
    /// </summary>
    [JsonPropertyName("skip_nonfinite")]
    public int SkipNonFinite { get; init; }
    /// <summary>
    /// In data-parallel training, BatchNorm normalises with the global batch's statistics (SyncBN), so that N ranks
    /// train as one process on the whole batch; false: each rank's own rows (cheaper, and what plain DDP does).
    /// No effect in one process.
    /// </summary>
    [JsonPropertyName("sync_batchnorm")]
    public bool SyncBatchNorm { get; init; } = true;
    /// <summary>
    /// float32, or float64 for numerical checks (e.g. that N ranks train as one process, free of float32 rounding,
    /// which training amplifies); float64 runs without the collapse monitor and the online probe. Checkpoints keep
    /// this precision and load as float32 for evaluation.
    /// </summary>
    public string Precision { get; init; } = "float32";
    /// <summary>Stop after this many optimizer steps in total (the schedule still spans all epochs).</summary>
    public long? MaxSteps { get; init; }
    /// <summary>Measure the encoder's embeddings (std, RankMe, alignment, uniformity) every N steps (0: never).</summary>
    public int MonitorEvery { get; init; } = 50;
    /// <summary>Warn of collapse when the std of L2-normalised embeddings falls below this (null: 0.1/√D).</summary>
    public double? CollapseStdThreshold { get; init; }
    /// <summary>Warn of dimensional collapse when RankMe falls below this fraction of min(D, 2B) (0: off).</summary>
    public double CollapseRankFraction { get; init; } = CollapseMonitor.DefaultRankFraction;
    /// <summary>Also write the metrics as TensorBoard event files in runDir/tensorboard (with reconstruction and curve pictures).</summary>
    [JsonPropertyName("tensorboard")]
    public bool TensorBoard { get; init; } = true;
    /// <summary>Run the k-NN online probe every N epochs and after the last one (0: never).</summary>
    public int OnlineProbeEvery { get; init; }
    /// <summary>Labelled dataset of the online probe (train split as bank, test split as queries); null: <see cref="Data"/>.</summary>
    public string? OnlineProbeData { get; init; }
    /// <summary>At most this many training images in the online probe's k-NN bank (seeded subset).</summary>
    public int OnlineProbeBank { get; init; } = 5000;
    /// <summary>At most this many test images the online probe classifies (seeded subset).</summary>
    public int OnlineProbeTest { get; init; } = 2000;
    /// <summary>Method-specific options (e.g. temperature), bound to the method's typed options record.</summary>
    public Dictionary<string, string> MethodOptions { get; init; } = new();
    /// <summary>Per-channel mean of the model inputs in [0, 1] units; empty: measured on up to 10,000 training images spread over the set (<see cref="Augment.ChannelStats.Measure(Data.ImageDataset, int)"/>).</summary>
    public float[] NormalizeMean { get; init; } = [];
    public float[] NormalizeStd { get; init; } = [];
    /// <summary>Where each optimisation setting came from ("recipe", "run file", "flag"), for config.yaml readers.</summary>
    public Dictionary<string, string> SettingSources { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary><paramref name="options"/> decoding images as this run does (<see cref="Resize"/>, <see cref="Window"/>).</summary>
    public DatasetOptions DecodingOf(DatasetOptions options) =>
        options with { Resize = Resize, Window = IntensityWindow.Parse(Window, "window") };

    public static RunConfig FromJson(string json, string source) =>
        JsonSerializer.Deserialize<RunConfig>(json, Json) ?? throw new InvalidDataException($"{source}: empty run configuration");

    /// <summary>YAML for config.yaml (flat keys, snake_case, as the JSON form).</summary>
    public string ToYaml()
    {
        using var doc = JsonDocument.Parse(ToJson());
        var yaml = new YamlDotNet.Serialization.SerializerBuilder().Build();
        return yaml.Serialize(ToPlain(doc.RootElement));
    }

    static object? ToPlain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToPlain(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(ToPlain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
