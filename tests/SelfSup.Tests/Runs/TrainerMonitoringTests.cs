using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Evaluation;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

/// <summary>The Trainer's monitors and online probe: logged, and invisible to the training trajectory.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TrainerMonitoringTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-monitoring-").FullName;
    readonly ImageDataset data = OnlineProbeTests.Brightness(64, 0);
    /// <summary>One initial state for every run, so runs differ only in what the test changes.</summary>
    Dictionary<string, Tensor>? initial;

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static RunConfig Config(int monitorEvery, int probeEvery = 0, long? maxSteps = null) => new()
    {
        Method = "simclr", Data = "synthetic", Encoder = "tiny", Epochs = 3, BatchSize = 16,
        Optimizer = OptimizerKind.Sgd, LearningRate = 0.1, WeightDecay = 1e-4, WarmupEpochs = 1, Seed = 7,
        CheckpointEvery = 0, MaxSteps = maxSteps, MonitorEvery = monitorEvery, OnlineProbeEvery = probeEvery,
        MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
    };

    (Trainer Trainer, SslMethod Method) Build(RunConfig config, string name, OnlineProbe? probe = null)
    {
        manual_seed(config.Seed);
        var encoder = new TinyEncoder(channels: 1);
        var ctx = new MethodContext(encoder, () => throw new NotSupportedException(), 8, 1, ChannelStats.Measure(data), config.MethodOptions);
        var method = SimClr.Info.Create(ctx);
        if (initial is null) initial = method.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        else method.load_state_dict(initial);
        var trainer = new Trainer(method, SimClr.Info.CreateViews(ctx), new DataLoader(data, config.BatchSize, (int)config.Seed), config, Path.Combine(root, name))
        {
            OnlineProbe = probe,
        };
        return (trainer, method);
    }

    static List<JsonElement> Records(Trainer t) => File.ReadLines(t.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    static Dictionary<long, double> Losses(Trainer t) => Records(t).Where(e => e.TryGetProperty("loss", out _))
        .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("loss").GetDouble());

    OnlineProbe Probe() => new(OnlineProbeTests.Brightness(40, 1), OnlineProbeTests.Brightness(20, 2), ChannelStats.Measure(data), k: 5);

    [Fact]
    public void Monitors_AreLoggedOnTheirSteps_AndLeaveEveryLossUnchanged()
    {
        var (plain, _) = Build(Config(monitorEvery: 0), "plain");
        plain.Fit();
        var (watched, _) = Build(Config(monitorEvery: 4), "watched");
        watched.Fit();

        Assert.Equal(Losses(plain), Losses(watched)); // bit-identical: same doubles in the JSON
        var monitored = Records(watched).Where(e => e.TryGetProperty("rank_me", out _)).ToList();
        Assert.Equal([1L, 4, 8, 12], monitored.Select(e => e.GetProperty("step").GetInt64()));
        foreach (var e in monitored)
        {
            Assert.InRange(e.GetProperty("rank_me").GetDouble(), 1.0, 8.0);
            Assert.InRange(e.GetProperty("alignment").GetDouble(), 0.0, 4.0);
            Assert.InRange(e.GetProperty("uniformity").GetDouble(), -4.0, 0.0);
            Assert.True(e.GetProperty("monitor_std").GetDouble() > 0);
        }
        Assert.DoesNotContain(Records(plain), e => e.TryGetProperty("rank_me", out _));
    }

    [Fact]
    public void OnlineProbe_LeavesParametersAndGradientsBitIdentical()
    {
        var (plain, plainMethod) = Build(Config(monitorEvery: 0), "noprobe");
        plain.Fit();
        using var probe = Probe();
        var (probed, probedMethod) = Build(Config(monitorEvery: 0, probeEvery: 1), "probe", probe);
        probed.Fit();

        var a = plainMethod.named_parameters().ToList();
        var b = probedMethod.named_parameters().ToList();
        Assert.Equal(a.Select(p => p.name), b.Select(p => p.name));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(a[i].parameter.equal(b[i].parameter).all().item<bool>(), $"{a[i].name} differs");
            Assert.NotNull(a[i].parameter.grad);
            Assert.True(a[i].parameter.grad!.equal(b[i].parameter.grad!).all().item<bool>(), $"gradient of {a[i].name} differs");
        }
        foreach (var ((name, x), (_, y)) in plainMethod.named_buffers().Zip(probedMethod.named_buffers()))
            Assert.True(x.equal(y).all().item<bool>(), $"buffer {name} differs");
        Assert.Equal(Losses(plain), Losses(probed));

        // Probed before training (step 0) and after each of the 3 epochs (4 steps each).
        var scores = Records(probed).Where(e => e.TryGetProperty("online_knn_top1", out _)).ToList();
        Assert.Equal([0L, 4, 8, 12], scores.Select(e => e.GetProperty("step").GetInt64()));
        Assert.All(scores, e => Assert.InRange(e.GetProperty("online_knn_top1").GetDouble(), 0.0, 100.0));
    }

    [Fact]
    public void Resume_WithMonitorsAndProbe_ReproducesTheUninterruptedRun()
    {
        using var probe = Probe();
        var (full, _) = Build(Config(monitorEvery: 3, probeEvery: 1), "full", probe);
        full.Fit();
        var (stopped, _) = Build(Config(monitorEvery: 3, probeEvery: 1, maxSteps: 5), "partial", probe);
        stopped.Fit();
        var (resumed, _) = Build(Config(monitorEvery: 3, probeEvery: 1), "partial", probe);
        resumed.Fit(resume: true);

        var a = Losses(full);
        var b = Losses(resumed);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (s, loss) in a) Assert.True(Math.Abs(loss - b[s]) < 1e-5, $"step {s}: {loss} vs {b[s]}");
        var rank = (Trainer t) => Records(t).Where(e => e.TryGetProperty("rank_me", out _)).ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty("rank_me").GetDouble());
        Assert.Equal(rank(full).Keys, rank(resumed).Keys);
        foreach (var (s, r) in rank(full)) Assert.Equal(r, rank(resumed)[s], 3);
    }

    [Fact]
    public void CollapsedEncoder_RaisesOneWarning()
    {
        // A threshold no real embedding can reach turns every monitored step into a collapse.
        var config = Config(monitorEvery: 2) with { CollapseStdThreshold = 10 };
        var (trainer, _) = Build(config, "collapse");
        var reported = new List<string>();
        var summary = trainer.Fit(progress: new Sync(p => { if (p.Warning is { } w) reported.Add(w); }));
        Assert.Single(reported);
        Assert.Contains("collapse", reported[0]);
        Assert.Equal(reported, summary.Warnings);
        Assert.All(Records(trainer).Where(e => e.TryGetProperty("rank_me", out _)), e => Assert.True(e.GetProperty("collapse_warning").GetBoolean()));
    }

    sealed class Sync(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
