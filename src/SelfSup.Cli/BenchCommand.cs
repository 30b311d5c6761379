using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup bench --case NAME`: one benchmark per process, printed as one JSON line, so bench/run.sh can alternate
/// it with the PyTorch reference (bench/pytorch/simclr_bench.py runs the same cases) and read the process's peak
/// RSS per case. Every time is the median of timed repetitions after warm-up, a DisposeScope per repetition.
/// </summary>
public static class BenchCommand
{
    static readonly string[] Cases = ["train", "embed", "pipeline", "peak", "overhead", "vit", "decode", "synthetic-pack", "search", "onednn"];
    static readonly ChannelStats Stats = new([0.49f, 0.48f, 0.45f], [0.25f, 0.24f, 0.26f]);

    public static Command Create()
    {
        var cmd = new Command("bench", "Measure one benchmark case and print it as a JSON line (see bench/README.md)");
        var which = new Option<string>("--case") { Description = string.Join(", ", Cases), DefaultValueFactory = _ => "train" };
        var batch = new Option<int>("--batch-size") { Description = "images per batch (0: 256, or 512 for embed)", DefaultValueFactory = _ => 0 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 16 };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: core count)", DefaultValueFactory = _ => 0 };
        var layout = new Option<string>("--layout") { Description = "channels-last (default) or nchw, for train and embed", DefaultValueFactory = _ => "channels-last" };
        var images = new Option<int>("--images") { Description = "pipeline: size of the cached uint8 dataset; search: vectors in the index", DefaultValueFactory = _ => 50_000 };
        var steps = new Option<int>("--steps") { Description = "overhead: steps per arm per round", DefaultValueFactory = _ => 10 };
        var matmul = new Option<int>("--matmul-size") { DefaultValueFactory = _ => 2048 };
        var keep = new Option<double>("--keep") { Description = "vit: fraction of patch tokens the encoder sees (1: all; MAE: 0.25)", DefaultValueFactory = _ => 1.0 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var output = new Option<string?>("--out") { Description = "also write the JSON to this file" };
        var data = new Option<string?>("--data") { Description = "decode: the image folder to decode" };
        var pack = new Option<string?>("--pack") { Description = "synthetic-pack: the packed file to write (--images rows of random pixels)" };
        var size = new Option<int>("--image-size") { Description = "synthetic-pack: square side in pixels", DefaultValueFactory = _ => 64 };
        var dims = new Option<int>("--dims") { Description = "search: values per vector (--images is the number of vectors)", DefaultValueFactory = _ => 512 };
        foreach (var o in new Option[] { which, batch, width, repeats, warmup, threads, layout, images, steps, matmul, keep, device, output, data, pack, size, dims }) cmd.Options.Add(o);
        cmd.Subcommands.Add(BenchMethodsCommand.Create());
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var t = r.GetValue(threads);
            TorchRuntime.Initialize(t > 0 ? t : null);
            var name = r.GetValue(which)!;
            var channelsLast = r.GetValue(layout) switch
            {
                "channels-last" => true,
                "nchw" => false,
                var v => throw new ArgumentException($"--layout: expected channels-last or nchw, got '{v}'"),
            };
            var s = new Settings(r.GetValue(batch), r.GetValue(width), r.GetValue(repeats), r.GetValue(warmup), channelsLast,
                r.GetValue(images), r.GetValue(steps), r.GetValue(matmul), r.GetValue(keep), TorchRuntime.ParseDevice(r.GetValue(device)!));
            var result = new Dictionary<string, object>
            {
                ["side"] = "selfsup", ["case"] = name, ["width"] = s.Width, ["threads"] = get_num_threads(),
                ["torch"] = "TorchSharp 0.107.0 / libtorch 2.10",
            };
            foreach (var (k, v) in name switch
            {
                "train" => Train(s),
                "embed" => Embed(s),
                "pipeline" => Pipeline(s),
                "peak" => Peak(s),
                "overhead" => Overhead(s),
                "vit" => VitStep(s),
                "decode" => BenchData.Decode(r.GetValue(data) ?? throw new ArgumentException("--data: the decode case needs an image folder"), s.Repeats),
                "search" => BenchSearch.Run(s.Images, r.GetValue(dims), s.Repeats, s.Warmup),
                "onednn" => BenchOneDnn.Run(),
                "synthetic-pack" => BenchData.SyntheticPack(r.GetValue(pack) ?? throw new ArgumentException("--pack: the synthetic-pack case needs the file to write"), s.Images, r.GetValue(size)),
                _ => throw new ArgumentException($"--case: expected one of {string.Join(", ", Cases)}, got '{name}'"),
            }) result[k] = v;
            result["peak_rss_mib"] = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1);
            var json = JsonSerializer.Serialize(result);
            Console.WriteLine(json);
            if (r.GetValue(output) is { } file)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
                File.WriteAllText(file, json + Environment.NewLine);
            }
            return 0;
        }));
        return cmd;
    }

    sealed record Settings(int Batch, int Width, int Repeats, int Warmup, bool ChannelsLast, int Images, int Steps, int MatmulSize, double Keep, Device Device)
    {
        public int BatchOr(int fallback) => Batch > 0 ? Batch : fallback;
    }

    /// <summary>SimCLR step on pre-made float views: forward, NT-Xent, backward, SGD with momentum; both scalars read.</summary>
    static Dictionary<string, object> Train(Settings s)
    {
        int b = s.BatchOr(256);
        manual_seed(0);
        using var method = new SimClr(ResNet.ResNet18(new ResNetOptions(3, s.Width, ResNetStem.Cifar, UseChannelsLast: s.ChannelsLast)), new SimClrOptions());
        method.to(s.Device);
        method.train();
        using var opt = new TrainingOptimizer(method.parameters(), OptimizerKind.Sgd, 0.01, 1e-6);
        using var g = new Generator(0);
        using var v1 = randn([b, 3, 32, 32], generator: g).to(s.Device);
        using var v2 = randn([b, 3, 32, 32], generator: g).to(s.Device);
        var (ms, times) = Median(s.Repeats, s.Warmup, () =>
        {
            var step = method.Step(v1, v2);
            opt.ZeroGrad();
            step.Loss.backward();
            opt.Step();
            _ = step.Loss.item<float>();
            foreach (var v in step.Scalars.Values) _ = v.item<float>();
        });
        var flops = BenchFlops.SimClrStep(s.Width, 32, b);
        return new()
        {
            ["batch"] = b, ["layout"] = s.ChannelsLast ? "channels-last" : "nchw", ["ms"] = ms, ["images_per_s"] = b / (ms / 1000),
            ["gflop_per_step"] = flops / 1e9, ["gflop_per_s"] = flops / 1e9 / (ms / 1000), ["times_s"] = times,
        };
    }

    /// <summary>
    /// ViT-Tiny (patch 4 on 32×32: 64 patch tokens + CLS, 12 blocks of width 192, 3 heads) training step on pre-made
    /// input: the encoder on a random <see cref="Settings.Keep"/> share of each sample's patch tokens (MAE's
    /// <see cref="Vit.ForwardVisible"/>; 1 = every token, the plain ViT), the mean square of its output tokens as the
    /// loss, backward, AdamW. Only the number of tokens differs between keep 1 and 0.25, so their ratio is what
    /// MAE's masking saves in the encoder.
    /// </summary>
    static Dictionary<string, object> VitStep(Settings s)
    {
        int b = s.BatchOr(256);
        if (s.Keep is <= 0 or > 1) throw new ArgumentException($"--keep: expected a fraction in (0, 1], got {s.Keep}");
        manual_seed(0);
        using var vit = new Vit(VitOptions.Tiny(3, 32, 4));
        vit.to(s.Device);
        vit.train();
        using var opt = new TrainingOptimizer(vit.parameters(), OptimizerKind.AdamW, 1e-4, 0.05);
        using var g = new Generator(0);
        using var x = randn([b, 3, 32, 32], generator: g).to(s.Device);
        long tokens = (long)vit.GridSize * vit.GridSize, kept = Math.Max(1, (long)Math.Round(tokens * s.Keep));
        var (ms, times) = Median(s.Repeats, s.Warmup, () =>
        {
            var keepIndices = rand([b, tokens], generator: g).argsort(1).narrow(1, 0, kept).to(s.Device); // MAE's per-sample shuffle
            var loss = vit.ForwardVisible(x, keepIndices).square().mean();
            opt.ZeroGrad();
            loss.backward();
            opt.Step();
            _ = loss.item<float>();
        });
        return new()
        {
            ["batch"] = b, ["model"] = "vit-tiny/p4", ["tokens_kept"] = kept, ["tokens"] = tokens, ["ms"] = ms,
            ["images_per_s"] = b / (ms / 1000), ["times_s"] = times,
        };
    }

    /// <summary>Encoder forward + global pooling in eval mode without autograd, on pre-made float input.</summary>
    static Dictionary<string, object> Embed(Settings s)
    {
        int b = s.BatchOr(512);
        manual_seed(0);
        using var encoder = ResNet.ResNet18(new ResNetOptions(3, s.Width, ResNetStem.Cifar, UseChannelsLast: s.ChannelsLast));
        encoder.to(s.Device);
        encoder.eval();
        using var g = new Generator(0);
        using var x = randn([b, 3, 32, 32], generator: g).to(s.Device);
        var (ms, times) = Median(s.Repeats, s.Warmup, () =>
        {
            using var noGrad = no_grad();
            _ = encoder.forward(x).sum().item<float>();
        });
        return new() { ["batch"] = b, ["ms"] = ms, ["images_per_s"] = b / (ms / 1000), ["times_s"] = times };
    }

    /// <summary>The loader's shuffled uint8 batches from a cached [N, 3, 32, 32] tensor, then SimCLR's two views.</summary>
    static Dictionary<string, object> Pipeline(Settings s)
    {
        int b = s.BatchOr(256);
        using var g = new Generator(0);
        using var data = new ImageDataset("bench", randint(0, 256, [s.Images, 3, 32, 32], dtype: ScalarType.Byte, generator: g), null);
        var loader = new DataLoader(data, b, seed: 0);
        var views = TwoViews.ForImages(32, 3, Stats);
        using var batches = Batches(loader).GetEnumerator();
        var (ms, times) = Median(s.Repeats, s.Warmup, () =>
        {
            batches.MoveNext();
            using var batch = batches.Current;
            var v = views.Apply(batch.Images.to(s.Device), g);
            _ = v[1].sum().item<float>(); // waits for the device
        });
        return new() { ["batch"] = b, ["ms"] = ms, ["images_per_s"] = b / (ms / 1000), ["times_s"] = times };
    }

    static IEnumerable<Batch> Batches(DataLoader loader)
    {
        for (var epoch = 0; ; epoch++)
            foreach (var b in loader.Epoch(epoch)) yield return b;
    }

    /// <summary>fp32 matmul [n, n] × [n, n]: 2n³ FLOP, the practical peak the convolutions can be set against.</summary>
    static Dictionary<string, object> Peak(Settings s)
    {
        int n = s.MatmulSize;
        using var g = new Generator(0);
        using var a = randn([n, n], generator: g).to(s.Device);
        using var c = randn([n, n], generator: g).to(s.Device);
        var (ms, times) = Median(s.Repeats, s.Warmup, () => _ = a.mm(c).sum().item<float>());
        return new() { ["matmul_size"] = n, ["ms"] = ms, ["gflops"] = 2.0 * n * n * n / 1e9 / (ms / 1000), ["times_s"] = times };
    }

    /// <summary>
    /// The Trainer's time per step (loader, views, schedule, step, scalars, JSONL metrics) against a bare loop doing
    /// the same views and step on batches taken from the dataset before timing. Arms alternate for two rounds; each
    /// arm builds its method from the same config and seed. Per-step times are intervals between consecutive step
    /// ends, the first two of each arm dropped as warm-up.
    /// </summary>
    static Dictionary<string, object> Overhead(Settings s)
    {
        int b = s.BatchOr(256), steps = s.Steps + 2;
        using var g = new Generator(0);
        using var data = new ImageDataset("bench", randint(0, 256, [(long)b * steps, 3, 32, 32], dtype: ScalarType.Byte, generator: g), null);
        var config = new RunConfig
        {
            Method = "simclr", Data = "bench", Encoder = "resnet18", Width = s.Width, ImageSize = 32, Channels = 3, Epochs = 1,
            BatchSize = b, Optimizer = OptimizerKind.Sgd, LearningRate = 0.01, CheckpointEvery = 0, Device = s.Device.ToString(),
            NormalizeMean = Stats.Mean, NormalizeStd = Stats.Std, TrainImages = data.Count,
        };
        var bare = new List<double>();
        var trainer = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            bare.AddRange(BareLoop(config, data, steps).Skip(2));
            trainer.AddRange(TrainerLoop(config, data).Skip(2));
        }
        double bareMs = MedianOf(bare), trainerMs = MedianOf(trainer);
        return new()
        {
            ["batch"] = b, ["steps_timed_per_arm"] = bare.Count, ["bare_ms"] = bareMs, ["trainer_ms"] = trainerMs,
            ["bare_mean_ms"] = bare.Average(), ["trainer_mean_ms"] = trainer.Average(),
            ["overhead_percent"] = 100 * (trainerMs / bareMs - 1), ["overhead_mean_percent"] = 100 * (trainer.Average() / bare.Average() - 1),
        };
    }

    static List<double> BareLoop(RunConfig config, ImageDataset data, int steps)
    {
        var device = TorchRuntime.ParseDevice(config.Device);
        var (method, views) = Pretraining.BuildMethod(config);
        using var m = method;
        method.to(device);
        method.train();
        using var opt = TrainingOptimizer.For(config, method.parameters(), method.FixedLearningRateParameters);
        using var g = new Generator((ulong)config.Seed);
        var batches = Enumerable.Range(0, steps).Select(i => data.Images.narrow(0, (long)i * config.BatchSize, config.BatchSize).contiguous()).ToList();
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            using (var scope = NewDisposeScope())
            {
                var v = views.Apply(batch.to(device), g);
                var step = method.Step(v);
                _ = step.Loss.item<float>();
                opt.ZeroGrad();
                step.Loss.backward();
                opt.Step();
                foreach (var t in step.Scalars.Values) _ = t.item<float>();
            }
            times.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            batch.Dispose();
        }
        return times;
    }

    static List<double> TrainerLoop(RunConfig config, ImageDataset data)
    {
        var (method, views) = Pretraining.BuildMethod(config);
        using var m = method;
        var dir = Path.Combine(Path.GetTempPath(), "selfsup-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var loader = new DataLoader(data, config.BatchSize, (int)config.Seed);
            var times = new StepTimes();
            new Trainer(method, views, loader, config, dir).Fit(progress: times);
            return times.Intervals;
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Records the interval since the previous report, synchronously on the training thread.</summary>
    sealed class StepTimes : IProgress<TrainProgress>
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        public List<double> Intervals { get; } = [];

        public void Report(TrainProgress value)
        {
            Intervals.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
        }
    }

    /// <summary>Median wall time (ms) of <paramref name="n"/> runs after <paramref name="warmup"/> runs, a DisposeScope per run; all timed runs in seconds.</summary>
    static (double Ms, double[] TimesS) Median(int n, int warmup, Action body)
    {
        var times = new List<double>();
        for (var i = 0; i < n + warmup; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            body();
            if (i >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return (MedianOf(times), times.Select(t => Math.Round(t / 1000, 4)).ToArray());
    }

    static double MedianOf(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
