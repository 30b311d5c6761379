using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup bench`: throughput of the parts of a training step, measured in one process so the numbers can be read
/// as ratios on a shared, noisy machine (median of timed repetitions after warm-up).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure augmentation, training-step and feature-extraction throughput");
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 256 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 16 };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 8 };
        var output = new Option<string?>("--out") { Description = "write the numbers as JSON to this file" };
        foreach (var o in new Option[] { batch, width, repeats, output }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            TorchRuntime.Initialize();
            int b = r.GetValue(batch), w = r.GetValue(width), n = r.GetValue(repeats);
            manual_seed(0);
            using var images = randint(0, 256, [b, 3, 32, 32]).to(ScalarType.Byte);
            var stats = new ChannelStats([0.49f, 0.48f, 0.45f], [0.25f, 0.24f, 0.26f]);
            var views = TwoViews.ForImages(32, 3, stats);
            using var g = new Generator(0);

            var augMs = Median(n, () => views.Apply(images, g));
            Console.WriteLine($"augmentation  TwoViews(32 px) on uint8 [{b},3,32,32]: {augMs:F1} ms per batch");

            var results = new Dictionary<string, object> { ["batch_size"] = b, ["width"] = w, ["threads"] = get_num_threads(), ["augment_ms_per_batch"] = Math.Round(augMs, 2) };
            foreach (var channelsLast in new[] { false, true })
            {
                manual_seed(0);
                using var method = new SimClr(ResNet.ResNet18(new ResNetOptions(3, w, ResNetStem.Cifar, UseChannelsLast: channelsLast)), new SimClrOptions());
                using var opt = new TrainingOptimizer(method.parameters(), OptimizerKind.Sgd, 0.01, 1e-6);
                var fixedViews = views.Apply(images, g);
                var stepMs = Median(n, () =>
                {
                    var loss = method.TrainingStep(fixedViews).Loss;
                    opt.ZeroGrad();
                    loss.backward();
                    opt.Step();
                });
                foreach (var v in fixedViews) v.Dispose();
                var ips = b / (stepMs / 1000);
                var key = channelsLast ? "channels_last" : "nchw";
                results[$"train_images_per_s_{key}"] = Math.Round(ips, 1);
                Console.WriteLine($"training step  SimCLR ResNet-18 w{w}, {b} images × 2 views, {key}: {stepMs:F0} ms ({ips:F0} img/s)");
            }
            results["channels_last_speedup"] = Math.Round((double)results["train_images_per_s_channels_last"] / (double)results["train_images_per_s_nchw"], 2);
            Console.WriteLine($"channels-last speed-up: {results["channels_last_speedup"]}×");

            manual_seed(0);
            using var encoder = ResNet.ResNet18(new ResNetOptions(3, w, ResNetStem.Cifar));
            using var evalImages = randint(0, 256, [4096, 3, 32, 32]).to(ScalarType.Byte);
            using var data = new Data.ImageDataset("bench", evalImages.alias(), null);
            var extractMs = Median(Math.Max(2, n / 4), () => Features.Extract(encoder, data, stats, CPU));
            var eps = 4096 / (extractMs / 1000);
            results["extract_images_per_s"] = Math.Round(eps, 1);
            Console.WriteLine($"feature extraction  ResNet-18 w{w}, eval mode: {eps:F0} img/s");
            results["augment_share_of_step"] = Math.Round(augMs / (b / (double)results["train_images_per_s_channels_last"] * 1000), 3);

            if (r.GetValue(output) is { } file)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
                File.WriteAllText(file, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {file}");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Median wall time (ms) of <paramref name="n"/> runs after two warm-up runs, a DisposeScope per run.</summary>
    static double Median(int n, Action body)
    {
        var times = new List<double>();
        for (var i = 0; i < n + 2; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            body();
            if (i >= 2) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
