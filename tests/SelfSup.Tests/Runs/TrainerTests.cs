using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

[Collection(GlobalRngCollection.Name)]
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

    /// <summary>Two identical, unaugmented views: the loss then depends only on the weights, so it must fall.</summary>
    sealed class PlainViews(ChannelStats stats) : IViewRecipe
    {
        public Tensor[] Apply(Tensor images, Generator generator)
        {
            using var x = ChannelStats.ToUnitFloat(images, images.device);
            return [stats.Normalize(x), stats.Normalize(x)];
        }
    }

    Trainer Build(RunConfig config, string runDir, bool plainViews = false)
    {
        manual_seed(config.Seed);
        var encoder = new TinyEncoder(channels: 1);
        var stats = ChannelStats.Measure(data);
        var ctx = new MethodContext(encoder, () => throw new NotSupportedException(), 8, 1, stats, config.MethodOptions);
        var method = SimClr.Info.Create(ctx);
        var views = plainViews ? new PlainViews(stats) : SimClr.Info.CreateViews(ctx);
        return new Trainer(method, views, new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
    }

    /// <summary>step → loss of every step line in a metrics.jsonl.</summary>
    internal static Dictionary<long, double> StepLosses(string metricsPath) => File.ReadLines(metricsPath)
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

    /// <summary>step → epoch_loss of every epoch record in a metrics.jsonl.</summary>
    static Dictionary<long, double> EpochLosses(string metricsPath) => File.ReadLines(metricsPath)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(e => e.TryGetProperty("epoch_loss", out _))
        .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("epoch_loss").GetDouble());

    [Fact]
    public void Resume_MidEpoch_LogsTheEpochLossOfTheUninterruptedRun()
    {
        Build(Config(maxSteps: 8), Path.Combine(root, "whole")).Fit();
        var partDir = Path.Combine(root, "part");
        Build(Config(maxSteps: 6), partDir).Fit(); // 4 steps per epoch: stopped two steps into the second epoch
        Build(Config(maxSteps: 8), partDir).Fit(resume: true);

        var whole = EpochLosses(Path.Combine(root, "whole", "metrics.jsonl"));
        var resumed = EpochLosses(Path.Combine(partDir, "metrics.jsonl"));
        Assert.Equal([4L, 8], resumed.Keys.Order());
        // The mean of steps 5–8, not of the steps 7–8 the resumed process took.
        var steps = StepLosses(Path.Combine(partDir, "metrics.jsonl"));
        Assert.Equal(Enumerable.Range(5, 4).Average(s => steps[s]), resumed[8], 12);
        foreach (var (step, loss) in whole) Assert.True(Math.Abs(loss - resumed[step]) < 1e-5, $"epoch loss at step {step}: {loss} vs {resumed[step]}");
    }

    [Fact]
    public void Resume_DropsTheMetricsLineAKilledProcessCutShort_AndLogsEachStepOnce()
    {
        var dir = Path.Combine(root, "cut");
        var trainer = Build(Config(maxSteps: 3), dir);
        trainer.Fit();
        File.AppendAllText(trainer.MetricsPath, "{\"step\":4,\"epoch\":1,\"lo"); // killed while writing step 4's record
        File.WriteAllText(trainer.LastCheckpointPath + ".tmp", "half a checkpoint");

        Build(Config(maxSteps: 5), dir).Fit(resume: true);

        Assert.Equal([1L, 2, 3, 4, 5], StepLosses(trainer.MetricsPath).Keys.Order());
        Assert.False(File.Exists(trainer.LastCheckpointPath + ".tmp"));
    }

    [Fact]
    public void FreshRun_InAFolderOfAnEarlierRun_StartsItsLogsAfresh()
    {
        var dir = Path.Combine(root, "again");
        Build(Config(maxSteps: 3), dir).Fit();
        var trainer = Build(Config(maxSteps: 2), dir);
        trainer.Fit();
        Assert.Equal([1L, 2], StepLosses(trainer.MetricsPath).Keys.Order());
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
        // The whole dataset is one batch and the views are fixed, so every step sees the same inputs.
        var config = Config() with { BatchSize = 64, Epochs = 30, WarmupEpochs = 0, LearningRate = 0.3 };
        Build(config, dir, plainViews: true).Fit();
        var losses = StepLosses(Path.Combine(dir, "metrics.jsonl"));
        var first = Enumerable.Range(1, 5).Average(s => losses[s]);
        var last = Enumerable.Range(losses.Count - 4, 5).Average(s => losses[s]);
        Assert.True(last < first - 0.05, $"mean loss went from {first:F4} (steps 1–5) to {last:F4} (last 5 steps)");
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
