using System.CommandLine;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>The pretraining flags shared by `pretrain` and `demo`; each command supplies its own defaults.</summary>
public sealed class RunOptions
{
    readonly Option<string> method, data, encoder, optimizer, device;
    readonly Option<string?> stem;
    readonly Option<int> width, imageSize, channels, epochs, batchSize, threads, checkpointEvery, monitorEvery, probeEvery, probeBank, probeTest;
    readonly Option<double?> collapseThreshold;
    readonly Option<string?> probeData;
    readonly Option<int?> dataLimit;
    readonly Option<long?> maxSteps;
    readonly Option<double> lr, weightDecay, momentum, warmupEpochs, adamBeta2, collapseRankFraction;
    readonly Option<long> seed;
    readonly Option<string[]> set;

    public RunOptions(Command cmd, RunConfig defaults)
    {
        method = Add(cmd, new Option<string>("--method") { Description = "method name (see `selfsup methods`)", DefaultValueFactory = _ => defaults.Method });
        data = Add(cmd, new Option<string>("--data") { Description = "built-in dataset (mnist, fashion-mnist, cifar10, pneumoniamnist) or a path (image folder, .npz, IDX, CIFAR batches)", DefaultValueFactory = _ => defaults.Data });
        dataLimit = Add(cmd, new Option<int?>("--data-limit") { Description = "pretrain on a seeded subset of this many training images", DefaultValueFactory = _ => defaults.DataLimit });
        encoder = Add(cmd, new Option<string>("--encoder") { Description = "resnet18, resnet34, resnet50, convnet, convnet8, vit-tiny, vit-small, vit-base", DefaultValueFactory = _ => defaults.Encoder });
        width = Add(cmd, new Option<int>("--width") { Description = "encoder base width (ResNet: channels of the first stage; 0: default)", DefaultValueFactory = _ => defaults.Width });
        stem = Add(cmd, new Option<string?>("--stem") { Description = "cifar or imagenet (default: cifar for images ≤ 64 px)", DefaultValueFactory = _ => defaults.Stem });
        imageSize = Add(cmd, new Option<int>("--image-size") { Description = "resize images to this size (0: the data's own)", DefaultValueFactory = _ => defaults.ImageSize });
        channels = Add(cmd, new Option<int>("--channels") { Description = "1 (grayscale) or 3 (RGB); 0: the data's own", DefaultValueFactory = _ => defaults.Channels });
        epochs = Add(cmd, new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs });
        batchSize = Add(cmd, new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.BatchSize });
        optimizer = Add(cmd, new Option<string>("--optimizer") { Description = "sgd, lars or adamw", DefaultValueFactory = _ => defaults.Optimizer.ToString().ToLowerInvariant() });
        lr = Add(cmd, new Option<double>("--lr") { Description = "peak learning rate after warm-up", DefaultValueFactory = _ => defaults.LearningRate });
        weightDecay = Add(cmd, new Option<double>("--weight-decay") { DefaultValueFactory = _ => defaults.WeightDecay });
        momentum = Add(cmd, new Option<double>("--momentum") { DefaultValueFactory = _ => defaults.Momentum });
        adamBeta2 = Add(cmd, new Option<double>("--adam-beta2") { Description = "AdamW β₂ (MAE: 0.95)", DefaultValueFactory = _ => defaults.AdamBeta2 });
        warmupEpochs = Add(cmd, new Option<double>("--warmup-epochs") { DefaultValueFactory = _ => defaults.WarmupEpochs });
        seed = Add(cmd, new Option<long>("--seed") { DefaultValueFactory = _ => defaults.Seed });
        device = Add(cmd, new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => defaults.Device });
        threads = Add(cmd, new Option<int>("--threads") { Description = "libtorch threads (0: core count)", DefaultValueFactory = _ => defaults.Threads });
        checkpointEvery = Add(cmd, new Option<int>("--checkpoint-every") { Description = "write a checkpoint every N steps (0: only at the end)", DefaultValueFactory = _ => defaults.CheckpointEvery });
        maxSteps = Add(cmd, new Option<long?>("--max-steps") { Description = "stop after this many steps (the schedule still spans all epochs)", DefaultValueFactory = _ => defaults.MaxSteps });
        monitorEvery = Add(cmd, new Option<int>("--monitor-every") { Description = "log embedding std, RankMe, alignment and uniformity every N steps (0: never)", DefaultValueFactory = _ => defaults.MonitorEvery });
        collapseRankFraction = Add(cmd, new Option<double>("--collapse-rank-fraction") { Description = "warn of dimensional collapse when RankMe < this fraction of min(D, 2B) (0: off)", DefaultValueFactory = _ => defaults.CollapseRankFraction });
        collapseThreshold = Add(cmd, new Option<double?>("--collapse-std-threshold") { Description = "warn of collapse below this std of L2-normalised embeddings (default 0.1/√D)", DefaultValueFactory = _ => defaults.CollapseStdThreshold });
        probeEvery = Add(cmd, new Option<int>("--online-probe-every") { Description = "k-NN probe on held-out labelled data every N epochs (0: never)", DefaultValueFactory = _ => defaults.OnlineProbeEvery });
        probeData = Add(cmd, new Option<string?>("--online-probe-data") { Description = "labelled dataset of the online probe: train split as bank, test split as queries (default: --data)", DefaultValueFactory = _ => defaults.OnlineProbeData });
        probeBank = Add(cmd, new Option<int>("--online-probe-bank") { Description = "at most this many bank images for the online probe", DefaultValueFactory = _ => defaults.OnlineProbeBank });
        probeTest = Add(cmd, new Option<int>("--online-probe-test") { Description = "at most this many test images for the online probe", DefaultValueFactory = _ => defaults.OnlineProbeTest });
        set = Add(cmd, new Option<string[]>("--set") { Description = "method option key=value, e.g. --set temperature=0.2 (repeatable)", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = false });
    }

    static Option<T> Add<T>(Command cmd, Option<T> option)
    {
        cmd.Options.Add(option);
        return option;
    }

    public RunConfig Read(ParseResult r)
    {
        var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in r.GetValue(set) ?? [])
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set: expected key=value, got '{kv}'");
            overrides[kv[..eq].Trim()] = kv[(eq + 1)..].Trim();
        }
        var opt = r.GetValue(optimizer)!;
        if (!Enum.TryParse<OptimizerKind>(opt, ignoreCase: true, out var kind))
            throw new ArgumentException($"--optimizer: unknown optimizer '{opt}'; expected sgd, lars or adamw");
        return new RunConfig
        {
            Method = r.GetValue(method)!,
            Data = r.GetValue(data)!,
            DataLimit = r.GetValue(dataLimit),
            Encoder = r.GetValue(encoder)!,
            Width = r.GetValue(width),
            Stem = r.GetValue(stem),
            ImageSize = r.GetValue(imageSize),
            Channels = r.GetValue(channels),
            Epochs = Positive(r.GetValue(epochs), "--epochs"),
            BatchSize = Positive(r.GetValue(batchSize), "--batch-size"),
            Optimizer = kind,
            LearningRate = r.GetValue(lr),
            WeightDecay = r.GetValue(weightDecay),
            Momentum = r.GetValue(momentum),
            AdamBeta2 = r.GetValue(adamBeta2),
            WarmupEpochs = r.GetValue(warmupEpochs),
            Seed = r.GetValue(seed),
            Device = r.GetValue(device)!,
            Threads = r.GetValue(threads),
            CheckpointEvery = r.GetValue(checkpointEvery),
            MaxSteps = r.GetValue(maxSteps),
            CollapseRankFraction = r.GetValue(collapseRankFraction) is var f && f is >= 0 and <= 1 ? f : throw new ArgumentException($"--collapse-rank-fraction: expected a number in [0, 1], got {r.GetValue(collapseRankFraction)}"),
            MonitorEvery = NonNegative(r.GetValue(monitorEvery), "--monitor-every"),
            CollapseStdThreshold = r.GetValue(collapseThreshold) is { } t && !(t >= 0) ? throw new ArgumentException($"--collapse-std-threshold: expected a number ≥ 0, got {t}") : r.GetValue(collapseThreshold),
            OnlineProbeEvery = NonNegative(r.GetValue(probeEvery), "--online-probe-every"),
            OnlineProbeData = r.GetValue(probeData),
            OnlineProbeBank = Positive(r.GetValue(probeBank), "--online-probe-bank"),
            OnlineProbeTest = Positive(r.GetValue(probeTest), "--online-probe-test"),
            MethodOptions = overrides,
        };
    }

    static int NonNegative(int value, string name) =>
        value >= 0 ? value : throw new ArgumentException($"{name}: expected a number ≥ 0, got {value}");

    static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name}: expected a positive number, got {value}");
}
