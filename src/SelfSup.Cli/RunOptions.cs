using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Runs;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>
/// The pretraining flags shared by `pretrain` and `demo`. Only flags the user actually typed become settings; the rest
/// come from the method's recipe, the run file (`--config`) or the command's defaults (see <see cref="RunSettings"/>).
/// </summary>
public sealed class RunOptions
{
    readonly RunConfig defaults;
    readonly Option<string?> config;
    readonly Option<string[]> set;
    readonly List<(Option Option, string Key, Func<ParseResult, JsonNode?> Value)> settings = [];

    public RunOptions(Command cmd, RunConfig defaults)
    {
        this.defaults = defaults;
        config = Add(cmd, new Option<string?>("--config") { Description = "run file (YAML or JSON) with settings as in config.yaml; flags override it, it overrides the method's recipe" });
        Setting<string>(cmd, "--method", "method", "method name (see `selfsup methods`)", defaults.Method);
        Setting<string>(cmd, "--data", "data", "built-in dataset (mnist, fashion-mnist, cifar10, pneumoniamnist) or a path (image folder, .npz, IDX, CIFAR batches)", defaults.Data);
        Setting<bool>(cmd, "--unlabeled", "unlabeled", "read an image folder as an unlabeled pile at any depth, its sub-folders not taken for classes", null);
        Setting<string?>(cmd, "--labels", "labels", "label file (CSV or TSV, path,label, relative to --data) for the online probe and, by default, evaluation; pretraining still reads every image", null);
        Setting<string?>(cmd, "--captions", "captions", "captions file (CSV path,caption or JSONL {\"image\", \"caption\"}, paths relative to the image folder --data): the training images are the ones it names, each with its captions (clip); default: captions from the class names", null);
        Setting<string?>(cmd, "--test-data", "test_data", "image folder that is the test split of the online probe and later evaluations (class folders, or the images --test-labels names); nothing of --data is held out", null);
        Setting<string?>(cmd, "--test-labels", "test_labels", "label file of the test split: of --test-data when given, else of --data beside --labels (no path in both)", null);
        Setting<string>(cmd, "--resize", "resize", "crop (shorter side to the size, centre crop) or fit (longer side to the size, padded with black)", "crop");
        Setting<string?>(cmd, "--window", "window", "fixed intensity window LOW:HIGH for 16-bit PNGs in the file's units, e.g. 0:4095 (default: each image's own range)", null);
        Setting<bool>(cmd, "--skip-bad-images", "skip_bad_images", "leave out image files that cannot be decoded (counted) instead of stopping at the first", null);
        Setting<string>(cmd, "--storage", "storage", "where the images live during the run: memory, file (rows read from the packed cache as needed, for data larger than memory) or auto (file above a quarter of memory)", defaults.Storage);
        Setting<int?>(cmd, "--data-limit", "data_limit", "pretrain on a seeded subset of this many training images", defaults.DataLimit);
        Setting<string?>(cmd, "--pretrain-splits", "pretrain_splits", "splits of --data to pretrain on, joined by + and read without labels, e.g. train+val (default: train)", defaults.PretrainSplits);
        Setting<string>(cmd, "--encoder", "encoder", "resnet18, resnet34, resnet50, convnet, convnet8, mlp, vit-tiny, vit-small, vit-base", defaults.Encoder);
        Setting<string?>(cmd, "--init", "init", "start the encoder from pretrained weights: .safetensors or .pt in torchvision (ResNet) or timm (ViT) names, as `selfsup export` writes them", null);
        Setting<int>(cmd, "--width", "width", "encoder base width (ResNet: channels of the first stage; 0: default)", defaults.Width);
        Setting<string?>(cmd, "--stem", "stem", "cifar or imagenet (default: cifar for images ≤ 64 px)", defaults.Stem);
        Setting<int>(cmd, "--image-size", "image_size", "resize images to this size (0: the data's own)", defaults.ImageSize);
        Setting<int>(cmd, "--channels", "channels", "1 (grayscale) or 3 (RGB); 0: the data's own", defaults.Channels);
        Setting<int>(cmd, "--epochs", "epochs", "epochs over the training images", defaults.Epochs);
        Setting<int>(cmd, "--batch-size", "batch_size", "images per step (the recipe scales its learning rate to it)", defaults.BatchSize);
        Setting<string>(cmd, "--optimizer", "optimizer", "sgd, lars or adamw (default: the method's recipe)", null);
        Setting<double>(cmd, "--lr", "learning_rate", "peak learning rate after warm-up (default: the recipe's base rate scaled to the batch size)", null);
        Setting<double>(cmd, "--weight-decay", "weight_decay", "weight decay (default: the recipe's)", null);
        Setting<double?>(cmd, "--weight-decay-end", "weight_decay_end", "weight decay at the last step, on a cosine (default: the recipe's)", null);
        Setting<double>(cmd, "--momentum", "momentum", "SGD/LARS momentum (default: the recipe's)", null);
        Setting<double>(cmd, "--adam-beta1", "adam_beta1", "AdamW β₁ (default: the recipe's)", null);
        Setting<double>(cmd, "--adam-beta2", "adam_beta2", "AdamW β₂ (default: the recipe's; MAE 0.95)", null);
        Setting<double>(cmd, "--grad-clip", "grad_clip", "clip the global gradient norm (0: off; default: the recipe's)", null);
        Setting<double>(cmd, "--lars-eta", "lars_eta", "LARS trust coefficient η (default: the recipe's, 0.001 as in the SwAV/BYOL code)", null);
        Setting<bool>(cmd, "--lars-clip", "lars_clip", "LARS with each tensor's rate clipped at the scheduled rate, min(η‖w‖/‖g‖, lr), as solo-learn (default: the recipe's)", null);
        Setting<double>(cmd, "--warmup-epochs", "warmup_epochs", "linear warm-up epochs (default: the recipe's, at most 10 % of the run)", null);
        Setting<long>(cmd, "--seed", "seed", "seed of data order, augmentation and initialisation", defaults.Seed);
        Setting<string>(cmd, "--device", "device", "cpu, cuda or cuda:N", defaults.Device);
        Setting<int>(cmd, "--threads", "threads", "libtorch threads (0: core count)", defaults.Threads);
        Setting<int>(cmd, "--checkpoint-every", "checkpoint_every", "write a checkpoint every N steps (0: only at the end)", defaults.CheckpointEvery);
        Setting<int>(cmd, "--skip-nonfinite", "skip_nonfinite", "skip up to N steps whose loss or gradient norm is NaN/∞ (no update; logged in metrics.jsonl) before stopping (0: stop at the first)", defaults.SkipNonFinite);
        Setting<bool>(cmd, "--sync-batchnorm", "sync_batchnorm", "with --distributed: BatchNorm uses the global batch's statistics, so N ranks train as one process (--sync-batchnorm false: each rank's own)", defaults.SyncBatchNorm);
        Setting<string>(cmd, "--precision", "precision", "float32, or float64 for numerical checks (slower; no collapse monitor or online probe)", defaults.Precision);
        Setting<long?>(cmd, "--max-steps", "max_steps", "stop after this many steps (the schedule still spans all epochs)", defaults.MaxSteps);
        Setting<int>(cmd, "--monitor-every", "monitor_every", "log embedding std, RankMe, alignment and uniformity every N steps (0: never)", defaults.MonitorEvery);
        Setting<double>(cmd, "--collapse-rank-fraction", "collapse_rank_fraction", "warn of dimensional collapse when RankMe < this fraction of min(D, 2B) (0: off)", defaults.CollapseRankFraction);
        Setting<double?>(cmd, "--collapse-std-threshold", "collapse_std_threshold", "warn of collapse below this std of L2-normalised embeddings (default 0.1/√D)", defaults.CollapseStdThreshold);
        Setting<int>(cmd, "--online-probe-every", "online_probe_every", "k-NN probe on held-out labelled data every N epochs (0: never)", defaults.OnlineProbeEvery);
        Setting<string?>(cmd, "--online-probe-data", "online_probe_data", "labelled dataset of the online probe: train split as bank, test split as queries (default: --data)", defaults.OnlineProbeData);
        Setting<int>(cmd, "--online-probe-bank", "online_probe_bank", "at most this many bank images for the online probe", defaults.OnlineProbeBank);
        Setting<int>(cmd, "--online-probe-test", "online_probe_test", "at most this many test images for the online probe", defaults.OnlineProbeTest);
        Setting<bool>(cmd, "--tensorboard", "tensorboard", "also write TensorBoard event files to <out>/tensorboard: the metrics.jsonl scalars, reconstructions at checkpoints, the curves at the end (--tensorboard false: off)", defaults.TensorBoard);
        set = Add(cmd, new Option<string[]>("--set") { Description = "method option key=value, e.g. --set temperature=0.2 (repeatable; see `selfsup methods NAME`)", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = false });
    }

    /// <summary>A flag that maps to one <see cref="RunConfig"/> key; its shown default is the command's (null: the recipe's).</summary>
    void Setting<T>(Command cmd, string flag, string key, string description, object? shownDefault)
    {
        var option = new Option<T>(flag) { Description = description };
        if (shownDefault is T d) option.DefaultValueFactory = _ => d;
        cmd.Options.Add(option);
        settings.Add((option, key, r => r.GetValue(option) is { } v ? JsonValue.Create(v) : null));
    }

    /// <summary>The key=value pairs of --set, trimmed, in order (a repeated key appears twice).</summary>
    public static IEnumerable<(string Key, string Value)> SetPairs(IEnumerable<string> pairs)
    {
        foreach (var kv in pairs)
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set: expected key=value, got '{kv}'");
            yield return (kv[..eq].Trim(), kv[(eq + 1)..].Trim());
        }
    }

    static Option<T> Add<T>(Command cmd, Option<T> option)
    {
        cmd.Options.Add(option);
        return option;
    }

    /// <summary>The run's settings: command defaults &lt; recipe &lt; run file &lt; typed flags.</summary>
    public RunConfig Read(ParseResult r)
    {
        var typed = new JsonObject();
        foreach (var (option, key, value) in settings)
            if (r.GetResult(option) is { Implicit: false })
                typed[key] = value(r);
        var overrides = new JsonObject();
        foreach (var (key, value) in SetPairs(r.GetValue(set) ?? []))
            overrides[key] = value;
        if (overrides.Count > 0) typed["method_options"] = overrides;
        if (typed["optimizer"] is { } opt)
            typed["optimizer"] = Enum.TryParse<OptimizerKind>(opt.ToString(), ignoreCase: true, out var kind)
                ? JsonSerializer.SerializeToNode(kind, RunConfig.Json)
                : throw new ArgumentException($"--optimizer: unknown optimizer '{opt}'; expected sgd, lars or adamw");
        if (typed["resize"] is { } resize)
            typed["resize"] = JsonSerializer.SerializeToNode(ResizeModes.Parse(resize.ToString(), "--resize"), RunConfig.Json);
        if (typed["window"] is { } window)
            _ = IntensityWindow.Parse(window.ToString(), "--window");
        var file = r.GetValue(config);
        return RunSettings.Resolve(defaults, file is null ? null : RunSettings.ReadRunFile(file), file, typed);
    }
}
