using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-trainer-").FullName;
    readonly ImageDataset data = SyntheticData.Random(64, channels: 1, size: 8);

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static RunConfig Config(long? maxSteps = null) => new()
    {
        Method = "simclr", Data = "synthetic", Encoder = "tiny", Epochs = 4, BatchSize = 16,
        Optimizer = OptimizerKind.Sgd, LearningRate = 0.1, WeightDecay = 1e-4, WarmupEpochs = 1, Seed = 7,
        CheckpointEvery = 0, MaxSteps = maxSteps,
        MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
    };

    Trainer Build(RunConfig config, string runDir)
    {
        manual_seed(config.Seed);
        var encoder = new TinyEncoder(channels: 1);
        var stats = ChannelStats.Measure(data);
        var ctx = new MethodContext(encoder, 8, 1, stats, config.MethodOptions);
        var method = SimClr.Info.Create(ctx);
        return new Trainer(method, SimClr.Info.CreateViews(ctx), new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
    }

    static Dictionary<long, double> StepLosses(string metricsPath) => File.ReadLines(metricsPath)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(e => e.TryGetProperty("loss", out _))
        .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("loss").GetDouble());

    [Fact]
    public void Resume_AfterKSteps_ReproducesTheUninterruptedRun()
    {
        const int k = 5;
        var full = Build(Config(), Path.Combine(root, "full")).Fit();
        Assert.Equal(16, full.StepsDone); // 4 epochs × 64/16 batches

        var partialDir = Path.Combine(root, "partial");
        var stopped = Build(Config(maxSteps: k), partialDir).Fit();
        Assert.Equal(k, stopped.StepsDone);
        var resumed = Build(Config(maxSteps: k + 10), partialDir).Fit(resume: true);
        Assert.Equal(k + 10, resumed.StepsDone);

        var a = StepLosses(Path.Combine(root, "full", "metrics.jsonl"));
        var b = StepLosses(Path.Combine(partialDir, "metrics.jsonl"));
        Assert.Equal(Enumerable.Range(1, k + 10).Select(i => (long)i), b.Keys.Order());
        for (long s = 1; s <= k + 10; s++) Assert.True(Math.Abs(a[s] - b[s]) < 1e-5, $"step {s}: {a[s]} vs {b[s]}");
    }

    [Fact]
    public void Fit_WritesConfigMetricsAndCheckpoint()
    {
        var dir = Path.Combine(root, "run");
        var summary = Build(Config(maxSteps: 3), dir).Fit();
        Assert.True(File.Exists(Path.Combine(dir, "config.yaml")));
        Assert.Contains("batch_size: 16", File.ReadAllText(Path.Combine(dir, "config.yaml")));
        Assert.Equal(3, StepLosses(Path.Combine(dir, "metrics.jsonl")).Count);
        var state = Checkpoint.ReadState(summary.LastCheckpoint!);
        Assert.Equal(3, state.Step);
        Assert.Equal(16, state.Config.BatchSize);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "checkpoints"), "*.tmp*"));
    }

    [Fact]
    public void Loss_Decreases_OnAFixedBatch()
    {
        var dir = Path.Combine(root, "decrease");
        var config = Config() with { Epochs = 10, WarmupEpochs = 0 };
        Build(config, dir).Fit();
        var losses = StepLosses(Path.Combine(dir, "metrics.jsonl"));
        Assert.True(losses[losses.Count] < losses[1], $"loss went from {losses[1]} to {losses[losses.Count]}");
    }

    [Fact]
    public void Resume_WithoutCheckpoint_NamesTheMissingFile()
    {
        var dir = Path.Combine(root, "empty");
        var e = Assert.Throws<FileNotFoundException>(() => Build(Config(), dir).Fit(resume: true));
        Assert.Contains("last.ckpt", e.Message);
    }

    [Fact]
    public void Checkpoint_Truncated_GivesAClearError()
    {
        var dir = Path.Combine(root, "corrupt");
        var summary = Build(Config(maxSteps: 2), dir).Fit();
        var path = summary.LastCheckpoint!;
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsAny<Exception>(() => Build(Config(), dir).Fit(resume: true));
        Assert.Contains(path, e.Message);
    }
}
