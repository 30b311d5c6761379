using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

/// <summary>A two-step AdamW run (so the checkpoint holds optimizer state) whose config rebuilds the method from the registry.</summary>
internal static class SmallCheckpointRun
{
    public static RunConfig Config(long maxSteps) => new()
    {
        Method = "simclr", Data = "synthetic", Encoder = "convnet", Width = 4, ImageSize = 8, Channels = 1,
        Epochs = 2, BatchSize = 8, Optimizer = OptimizerKind.AdamW, LearningRate = 1e-3, WeightDecay = 0.05, Seed = 3,
        CheckpointEvery = 0, MonitorEvery = 0, MaxSteps = maxSteps, TrainImages = 16,
        NormalizeMean = [0.5f], NormalizeStd = [0.25f],
        MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
    };

    /// <summary>Trains <paramref name="maxSteps"/> steps into <paramref name="runDir"/> (resuming when asked); returns the Trainer.</summary>
    public static Trainer Fit(string runDir, long maxSteps, bool resume = false, IProgress<TrainProgress>? progress = null)
    {
        using var data = SyntheticData.Random(16, channels: 1, size: 8);
        var config = Config(maxSteps);
        var (method, views) = Pretraining.BuildMethod(config);
        using var _ = method;
        var trainer = new Trainer(method, views, new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
        trainer.Fit(resume, progress);
        return trainer;
    }

    /// <summary>The method's state as flat float arrays, by parameter/buffer name (to compare two loads).</summary>
    public static Dictionary<string, float[]> Weights(SslMethod method) => method.state_dict()
        .Where(kv => kv.Value.dtype == ScalarType.Float32)
        .ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
}

/// <summary>Calls back on every step's progress report (not on the step-0 reports of warnings and probes).</summary>
internal sealed class OnStep(Action onStep) : IProgress<TrainProgress>
{
    public void Report(TrainProgress value)
    {
        if (value.Step > 0) onStep();
    }
}
