using System.Globalization;
using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

/// <summary>
/// Non-finite steps: a NaN loss or gradient stops the run with the step, its scalars and lr, leaving last.ckpt as
/// it was; with skip_nonfinite the step is skipped without touching the weights, the teacher hook or the buffers.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TrainerNonFiniteTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-nonfinite-").FullName;
    readonly ImageDataset data = SyntheticData.Random(64, channels: 1, size: 8);

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// SimCLR with faults injected at chosen (0-based) steps: NaN views (a NaN loss, and NaN BatchNorm statistics
    /// unless the step is undone), a NaN gradient after backward, or NaN weights after the update (a diverged step).
    /// Counts the teacher-update hook's calls.
    /// </summary>
    sealed class Faulty : SslMethod
    {
        readonly SslMethod inner;

        public Faulty(SslMethod inner) : base(nameof(Faulty), inner.Encoder)
        {
            this.inner = inner;
            RegisterComponents();
        }

        public HashSet<long> NanViewsAt { get; init; } = [];
        public HashSet<long> NanGradientAt { get; init; } = [];
        public HashSet<long> NanWeightsAt { get; init; } = [];
        public int OptimizerSteps { get; private set; }

        public override StepResult TrainingStep(TrainingBatch batch, StepContext context) => NanViewsAt.Contains(context.Step)
            ? inner.TrainingStep(batch with { Views = [.. batch.Views.Select(v => v * double.NaN)] }, context)
            : inner.TrainingStep(batch, context);

        public override void BeforeOptimizerStep(StepContext context)
        {
            if (NanGradientAt.Contains(context.Step))
                using (no_grad()) inner.parameters().First(p => p.grad is not null).grad!.fill_(double.NaN);
        }

        public override void AfterOptimizerStep(StepContext context)
        {
            OptimizerSteps++;
            if (NanWeightsAt.Contains(context.Step))
                using (no_grad()) Encoder.parameters().First().fill_(double.NaN);
        }
    }

    static RunConfig Config(int checkpointEvery = 0, int skip = 0, double gradClip = 0) => new()
    {
        Method = "simclr", Data = "synthetic", Encoder = "tiny", Epochs = 4, BatchSize = 16, // 16 steps
        Optimizer = OptimizerKind.Sgd, LearningRate = 0.1, WarmupEpochs = 1, Seed = 7, GradClip = gradClip,
        CheckpointEvery = checkpointEvery, SkipNonFinite = skip, MonitorEvery = 0, TensorBoard = false,
        MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
    };

    (Trainer Trainer, Faulty Method) Build(RunConfig config, string name, long[]? nanViewsAt = null, long[]? nanGradientAt = null, long[]? nanWeightsAt = null)
    {
        manual_seed(config.Seed);
        var stats = ChannelStats.Measure(data);
        var ctx = new MethodContext(new TinyEncoder(channels: 1), () => throw new NotSupportedException(), 8, 1, stats, config.MethodOptions);
        var method = new Faulty(SimClr.Info.Create(ctx)) { NanViewsAt = [.. nanViewsAt ?? []], NanGradientAt = [.. nanGradientAt ?? []], NanWeightsAt = [.. nanWeightsAt ?? []] };
        var trainer = new Trainer(method, SimClr.Info.CreateViews(ctx), new DataLoader(data, config.BatchSize, (int)config.Seed), config, Path.Combine(root, name));
        return (trainer, method);
    }

    sealed class OnStep(Action<TrainProgress> action) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => action(value);
    }

    static List<JsonElement> Records(string metricsPath) => File.ReadLines(metricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    static bool Finite(nn.Module module) => NonFinite.AllFinite(module.parameters()) && NonFinite.AllFinite(module.buffers());

    [Fact]
    public void NanLoss_StopsNamingTheStepTheLossPartsAndTheLr_AndLeavesTheLastCheckpointAsItWas()
    {
        var (trainer, method) = Build(Config(checkpointEvery: 4), "loss", nanViewsAt: [5]);
        byte[]? atStep4 = null;
        // The checkpoint of step 4 is written after step 4's report: read it at step 5's.
        var progress = new OnStep(p => { if (p.Step == 5) atStep4 = File.ReadAllBytes(trainer.LastCheckpointPath); });

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(progress: progress));

        var lr = Schedules.WarmupCosine(0.1, 16, 4)[5];
        Assert.Equal(6, e.Step);
        Assert.Equal(lr, e.LearningRate, 12);
        Assert.Contains("loss is NaN at step 6 (epoch 2)", e.Message);
        Assert.Contains($"lr {lr.ToString("G6", CultureInfo.InvariantCulture)}", e.Message);
        Assert.Contains("embedding_std NaN", e.Message);                                      // SimCLR's logged scalar
        Assert.Contains($"Last good checkpoint {trainer.LastCheckpointPath} (step 4), untouched. Set skip_nonfinite", e.Message);
        Assert.Equal(trainer.LastCheckpointPath, e.LastCheckpoint);
        Assert.Equal(atStep4, File.ReadAllBytes(trainer.LastCheckpointPath));
        Assert.Equal(4, Checkpoint.ReadState(trainer.LastCheckpointPath).Step);
        Assert.Equal(5, method.OptimizerSteps);
        Assert.Equal([1L, 2, 3, 4, 5], TrainerTests.StepLosses(trainer.MetricsPath).Keys.Order());
    }

    [Theory]
    [InlineData(0.0)]  // the norm computed for the check
    [InlineData(1.0)]  // the norm gradient clipping computes
    public void NanGradient_StopsBeforeTheOptimizerSteps_NamingTheGradientNorm(double gradClip)
    {
        var (trainer, method) = Build(Config(gradClip: gradClip), $"grad-{gradClip}", nanGradientAt: [2]);

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit());

        Assert.StartsWith("gradient norm is NaN (loss ", e.Message);
        Assert.Contains("at step 3 (epoch 1)", e.Message);
        Assert.Contains("No checkpoint written yet", e.Message);
        Assert.Equal(2, method.OptimizerSteps);
        Assert.True(Finite(method), "the NaN gradient reached the weights");
        Assert.False(File.Exists(trainer.LastCheckpointPath));
    }

    [Fact]
    public void SkipNonFinite_SkipsTheBadSteps_LeavingWeightsBuffersAndTeacherHookUntouched_AndCountsThem()
    {
        var (trainer, method) = Build(Config(skip: 2), "skip", nanViewsAt: [3], nanGradientAt: [9]);
        var before = new Dictionary<long, float[]>();
        var progress = new OnStep(p =>
        {
            // step 3 is the last good step before the skipped step 4
            if (p.Step is 3 or 4) before[p.Step] = [.. method.state_dict().Values.Where(t => t.is_floating_point()).SelectMany(t => t.cpu().to(ScalarType.Float32).data<float>())];
        });

        var summary = trainer.Fit(progress: progress);

        Assert.Equal(16, summary.StepsDone);
        Assert.Equal(2, summary.SkippedSteps);
        Assert.Equal(14, method.OptimizerSteps);
        Assert.Equal(before[3], before[4]);                         // weights and BatchNorm statistics as after step 3
        Assert.True(Finite(method), "a skipped step left non-finite weights or buffers");
        var skipped = Records(trainer.MetricsPath).Where(r => r.TryGetProperty("skipped_nonfinite", out _)).ToList();
        Assert.Equal([4L, 10], skipped.Select(r => r.GetProperty("step").GetInt64()));
        Assert.Equal([1L, 2], skipped.Select(r => r.GetProperty("skipped_steps").GetInt64()));
        Assert.StartsWith("loss is NaN", skipped[0].GetProperty("skipped_nonfinite").GetString());
        Assert.StartsWith("gradient norm is NaN", skipped[1].GetProperty("skipped_nonfinite").GetString());
        Assert.Equal(14, TrainerTests.StepLosses(trainer.MetricsPath).Count);
        Assert.Equal(16, Checkpoint.ReadState(summary.LastCheckpoint!).Step);
    }

    [Fact]
    public void SkipNonFinite_StopsAtTheFirstStepBeyondTheAllowedCount()
    {
        var (trainer, _) = Build(Config(skip: 1), "too-many", nanViewsAt: [2, 6]);

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit());

        Assert.Equal(7, e.Step);
        Assert.Contains("1 non-finite steps already skipped (skip_nonfinite)", e.Message);
    }

    [Fact]
    public void WeightsThatDivergeAfterAnUpdate_StopTheRunAtTheMonitor_BeforeTheCheckpoint_WithoutSuggestingASkip()
    {
        var (trainer, _) = Build(Config(checkpointEvery: 1) with { MonitorEvery = 2 }, "diverged", nanWeightsAt: [1]);

        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit());

        Assert.StartsWith("the embeddings are not finite after the optimizer step (loss ", e.Message);
        Assert.Contains("at step 2 (epoch 1)", e.Message);
        Assert.Contains("Lower the learning rate", e.Message);
        Assert.DoesNotContain("skip_nonfinite", e.Message);
        Assert.Equal(1, Checkpoint.ReadState(trainer.LastCheckpointPath).Step);
    }

    [Fact]
    public void Cancel_StopsAfterTheStepInFlight_WithACheckpoint_AndResumeFinishesTheUninterruptedRun()
    {
        var full = Build(Config(), "full").Trainer.Fit();
        using var cancel = new CancellationTokenSource();
        var (stopped, _) = Build(Config(), "stopped");

        var summary = stopped.Fit(progress: new OnStep(p => { if (p.Step == 5) cancel.Cancel(); }), cancel: cancel.Token);

        Assert.True(summary.Interrupted);
        Assert.False(full.Interrupted);
        Assert.Equal(5, summary.StepsDone);
        Assert.Equal(5, Checkpoint.ReadState(summary.LastCheckpoint!).Step);
        var resumed = Build(Config(), "stopped").Trainer.Fit(resume: true);
        Assert.False(resumed.Interrupted);
        Assert.Equal(16, resumed.StepsDone);
        var a = TrainerTests.StepLosses(Path.Combine(root, "full", "metrics.jsonl"));
        var b = TrainerTests.StepLosses(stopped.MetricsPath);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (step, loss) in a) Assert.True(Math.Abs(loss - b[step]) < 1e-5, $"step {step}: {loss} vs {b[step]}");
    }
}
