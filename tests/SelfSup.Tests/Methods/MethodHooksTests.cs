using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

/// <summary>Tiny fake methods that prove each part of the method contract the Trainer and the settings honour.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class MethodHooksTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-hooks-").FullName;
    readonly ImageDataset data = SyntheticData.Random(40, channels: 1, size: 8);

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static RunConfig Config(long? maxSteps = null) => new()
    {
        Method = "fake", Data = "synthetic", Encoder = "tiny", Epochs = 3, BatchSize = 8, Optimizer = OptimizerKind.Sgd,
        LearningRate = 0.01, WeightDecay = 0, Seed = 1, CheckpointEvery = 0, MonitorEvery = 0, MaxSteps = maxSteps,
        NormalizeMean = [0.5f], NormalizeStd = [0.25f],
    };

    sealed class OneView(ChannelStats stats) : IViewRecipe
    {
        public Tensor[] Apply(Tensor images, Generator generator) => [stats.ToModelInput(images, images.device)];
    }

    /// <summary>Records every hook call and every row its steps see.</summary>
    sealed class RecordingMethod : SslMethod
    {
        readonly Encoder encoder;

        public RecordingMethod(Encoder encoder) : base(nameof(RecordingMethod), encoder)
        {
            this.encoder = encoder;
            RegisterComponents();
        }

        public List<(int Epoch, int StartBatch, int Rows, long Step)> Epochs { get; } = [];
        public List<long> Rows { get; } = [];
        public List<long> BeforeSteps { get; } = [];
        public List<long> AfterSteps { get; } = [];
        public bool GradientsPresentBeforeStep { get; private set; } = true;

        public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
        {
            Rows.AddRange(batch.Indices.data<long>().ToArray());
            return new StepResult(encoder.forward(batch.SingleView("recording")).square().mean());
        }

        public override void BeforeEpoch(EpochContext context) => Epochs.Add((context.Epoch, context.StartBatch, context.Dataset.Count, context.Step));

        public override void BeforeOptimizerStep(StepContext context)
        {
            BeforeSteps.Add(context.Step);
            GradientsPresentBeforeStep &= parameters().All(p => p.grad is not null);
        }

        public override void AfterOptimizerStep(StepContext context) => AfterSteps.Add(context.Step);

        /// <summary>Reports an output collapse from the fifth step on (steps are 0-based in the context, 1-based in the log).</summary>
        public long? CollapseFromStep { get; init; }

        public override string? OutputCollapse(IReadOnlyDictionary<string, double> scalars) =>
            CollapseFromStep is { } from && AfterSteps.Count >= from ? "collapse: test signal" : null;
    }

    Trainer Trainer(SslMethod method, RunConfig config, string dir) =>
        new(method, new OneView(new ChannelStats(config.NormalizeMean, config.NormalizeStd)), new DataLoader(data, config.BatchSize, 1), config, dir);

    [Fact]
    public void BeforeEpoch_SeesTheWholeDataset_EveryEpoch_AndAgainWhenResumingMidEpoch()
    {
        manual_seed(0);
        using var method = new RecordingMethod(new TinyEncoder(channels: 1));
        Trainer(method, Config(), Path.Combine(root, "a")).Fit();
        Assert.Equal([(0, 0, 40, 0L), (1, 0, 40, 5L), (2, 0, 40, 10L)], method.Epochs);
        // Every epoch's steps saw every row exactly once (40 rows, batch 8, nothing dropped).
        for (int e = 0; e < 3; e++) Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), method.Rows.Skip(40 * e).Take(40).Order());
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (long)i), method.BeforeSteps);
        Assert.Equal(method.BeforeSteps, method.AfterSteps);
        Assert.True(method.GradientsPresentBeforeStep, "BeforeOptimizerStep must run after backward");

        var dir = Path.Combine(root, "b");
        manual_seed(0);
        using (var first = new RecordingMethod(new TinyEncoder(channels: 1))) Trainer(first, Config(maxSteps: 7), dir).Fit();
        manual_seed(0);
        using var resumed = new RecordingMethod(new TinyEncoder(channels: 1));
        Trainer(resumed, Config(), dir).Fit(resume: true);
        Assert.Equal((1, 2, 40, 7L), resumed.Epochs[0]);   // resumed at batch 2 of epoch 1
        Assert.Equal((2, 0, 40, 10L), resumed.Epochs[1]);
    }

    [Fact]
    public void CollapseMonitor_RunsForOneViewMethods_OnTheCleanImages()
    {
        manual_seed(0);
        using var method = new RecordingMethod(new TinyEncoder(channels: 1));
        var trainer = Trainer(method, Config() with { MonitorEvery = 2 }, Path.Combine(root, "monitor"));
        trainer.Fit();
        var monitored = File.ReadLines(trainer.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("monitor_std", out _)).ToList();
        Assert.Equal([1L, 2, 4, 6, 8, 10, 12, 14], monitored.Select(e => e.GetProperty("step").GetInt64()));
        Assert.All(monitored, e => Assert.True(e.GetProperty("rank_me").GetDouble() >= 1));
        Assert.All(monitored, e => Assert.False(e.TryGetProperty("alignment", out _), "alignment needs two views"));
    }

    [Fact]
    public void OutputCollapse_IsWarnedOnce_AndMarkedOnEveryStepItHolds()
    {
        manual_seed(0);
        using var method = new RecordingMethod(new TinyEncoder(channels: 1)) { CollapseFromStep = 5 };
        var trainer = Trainer(method, Config(), Path.Combine(root, "output-collapse"));
        var summary = trainer.Fit();
        var marked = File.ReadLines(trainer.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("output_collapse_warning", out _)).Select(e => e.GetProperty("step").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(5, (int)summary.StepsDone - 4).Select(i => (long)i), marked);
        Assert.Single(summary.Warnings, w => w.StartsWith("collapse: test signal (step 5)", StringComparison.Ordinal));
    }

    /// <summary>Fits the per-channel mean of the data in closed form; its representation subtracts it.</summary>
    sealed class MeanFit : ClosedFormMethod
    {
        readonly Tensor fitted_mean;
        readonly Encoder representation;

        public MeanFit(Encoder encoder) : base(nameof(MeanFit), encoder)
        {
            fitted_mean = zeros(1);
            representation = new Centred(() => fitted_mean);
            RegisterComponents();
        }

        public float Mean => fitted_mean.item<float>();

        public override Encoder Representation => representation;

        public override void Fit(EpochContext context)
        {
            using var x = context.Stats.ToModelInput(context.Dataset.Images, context.Device);
            fitted_mean.copy_(x.mean().reshape(1));
        }

        /// <summary>Reads the owner's buffer through a delegate: a module field would register the owner as a child.</summary>
        sealed class Centred(Func<Tensor> mean) : Encoder(nameof(Centred))
        {
            public override int EmbeddingDim => 64;
            public override Tensor ForwardFeatures(Tensor x) => x - mean();
            public override Tensor Pool(Tensor features) => features.flatten(1);
        }
    }

    [Fact]
    public void ClosedFormPath_FitsOnce_WithoutAnOptimizer_AndItsCheckpointCarriesTheFit()
    {
        manual_seed(0);
        using var method = new MeanFit(new TinyEncoder(channels: 1));
        var trainer = Trainer(method, Config(), Path.Combine(root, "closed"));
        var summary = trainer.Fit();
        using var x = new ChannelStats([0.5f], [0.25f]).ToModelInput(data.Images, CPU);
        Assert.Equal(x.mean().item<float>(), method.Mean, 5);
        Assert.Equal(summary.TotalSteps, summary.StepsDone);
        using var reloaded = new MeanFit(new TinyEncoder(channels: 1));
        var state = Checkpoint.Load(trainer.LastCheckpointPath, reloaded, optimizer: null);
        Assert.Equal(method.Mean, reloaded.Mean);
        Assert.Equal(state.TotalSteps, state.Step);
        Assert.Throws<InvalidOperationException>(() => method.Step(x));
    }

    static readonly MethodInfo Fake = MethodInfo.Of("fake", "test", "none", "a recipe to resolve",
        new Recipe { Source = "test", Optimizer = OptimizerKind.AdamW, BaseLearningRate = 1e-3, Scaling = LrScaling.Linear, WeightDecay = 0.05, WeightDecayEnd = 0.5, WarmupEpochs = 40, AdamBeta2 = 0.95 },
        new object(), (ctx, _) => throw new NotSupportedException(), (ctx, _) => throw new NotSupportedException());

    static RunConfig Resolve(JsonObject? runFile, JsonObject typed) =>
        RunSettings.Resolve(new RunConfig { Method = "fake", BatchSize = 512, Epochs = 100 }, runFile, "run.yaml", typed, _ => Fake);

    [Fact]
    public void Recipe_Applies_ScaledToTheBatch_WithWarmupCappedForShortRuns()
    {
        var c = Resolve(null, new JsonObject());
        Assert.Equal(OptimizerKind.AdamW, c.Optimizer);
        Assert.Equal(2e-3, c.LearningRate, 12);                 // 1e-3 · 512/256
        Assert.Equal((0.05, 0.5, 0.95), (c.WeightDecay, c.WeightDecayEnd!.Value, c.AdamBeta2));
        Assert.Equal(10, c.WarmupEpochs, 12);                   // min(40, 10 % of 100 epochs)
        Assert.Equal("recipe", c.SettingSources["learning_rate"]);
        var shorter = Resolve(null, new JsonObject { ["batch_size"] = 128 });
        Assert.Equal(5e-4, shorter.LearningRate, 12);           // the typed batch size rescales the recipe's rate
        var byHand = RunSettings.WithRecipe(new RunConfig { Method = "mae", BatchSize = 512, Epochs = 100 });
        Assert.Equal((OptimizerKind.AdamW, 3e-4, 0.95), (byHand.Optimizer, byHand.LearningRate, byHand.AdamBeta2));
    }

    [Fact]
    public void TypedFlag_OverridesTheRunFile_WhichOverridesTheRecipe()
    {
        var file = new JsonObject { ["weight_decay"] = 0.1, ["learning_rate"] = 0.3, ["method_options"] = new JsonObject { ["temperature"] = "0.2", ["k"] = "1" } };
        var typed = new JsonObject { ["learning_rate"] = 0.5, ["method_options"] = new JsonObject { ["k"] = "2" } };
        var c = Resolve(file, typed);
        Assert.Equal(0.5, c.LearningRate);
        Assert.Equal(0.1, c.WeightDecay);
        Assert.Equal(0.5, c.WeightDecayEnd);
        Assert.Equal(("flag", "run file", "recipe"), (c.SettingSources["learning_rate"], c.SettingSources["weight_decay"], c.SettingSources["optimizer"]));
        Assert.Equal(new Dictionary<string, string> { ["temperature"] = "0.2", ["k"] = "2" }, c.MethodOptions);
    }

    [Fact]
    public void RunFile_WithAnUnknownSetting_IsAnErrorNamingFileAndKey()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve(new JsonObject { ["learnign_rate"] = 1 }, new JsonObject()));
        Assert.Contains("run.yaml", e.Message);
        Assert.Contains("learnign_rate", e.Message);
        var path = Path.Combine(root, "run.yaml");
        File.WriteAllText(path, "epochs: 7\nmethod_options:\n  temperature: 0.2\n");
        var read = RunSettings.ReadRunFile(path);
        Assert.Equal(7L, read["epochs"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.Object, read["method_options"]!.GetValueKind());
        var fromFile = RunSettings.Resolve(new RunConfig { Method = "fake" }, read, path, new JsonObject(), _ => Fake);
        Assert.Equal((7, "0.2"), (fromFile.Epochs, fromFile.MethodOptions["temperature"]));
    }
}
