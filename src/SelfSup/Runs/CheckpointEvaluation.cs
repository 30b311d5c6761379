using System.Diagnostics;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Methods;
using TorchSharp;

namespace SelfSup.Runs;

/// <summary>How a checkpoint is evaluated on frozen features.</summary>
public sealed record EvalSettings
{
    /// <summary>
    /// Dataset (default: the checkpoint's), a seeded subset of training images as the k-NN bank and probe training set,
    /// the hold-out for datasets without a test split, the seed of subsets and probes, and the log.
    /// </summary>
    public EvalDataSettings Data { get; init; } = new();
    public string Device { get; init; } = "cpu";
    public int K { get; init; } = 20;
    public double Temperature { get; init; } = 0.07;
    /// <summary>Cap on training images for the raw-pixel baseline (null: all).</summary>
    public int? RawPixelTrainImages { get; init; } = 10_000;
    /// <summary>Re-estimate the trained encoder's BatchNorm statistics on clean training images, as random init's are.</summary>
    public bool ReestimateBatchNorm { get; init; }
}

/// <summary>
/// Evaluates a checkpoint's encoder on the train/test split of a labeled dataset (<see cref="EvaluationData"/>): k-NN
/// and a linear probe on frozen features, beside a random-init encoder of the same architecture (BatchNorm statistics
/// re-estimated on the training images) and raw pixels, and a pretext-task method's own pretext accuracy on the test
/// split (<see cref="PretextEvaluation"/>).
/// </summary>
public static class CheckpointEvaluation
{
    public static EvaluationResults Run(string checkpointPath, EvalSettings settings)
    {
        var clock = Stopwatch.StartNew();
        using var data = EvaluationData.Open(checkpointPath, settings.Data);
        var (trained, config, train, test) = (data.Trained, data.Config, data.Train, data.Test);
        data.RequireLabels("evaluation");
        using var randomInit = trained.RandomInitTwin();
        var device = TorchRuntime.ParseDevice(settings.Device);
        trained.Encoder.to(device);
        randomInit.to(device);
        // Scored before the probes, which may re-estimate the encoder's BatchNorm statistics.
        if (trained.Method is IPretextTask) trained.Method.to(device);
        var pretext = PretextEvaluation.Run(trained.Method, test, trained.Stats, device, settings.Data.Seed);
        var report = FrozenEvaluation.Run(trained.Encoder, randomInit, train, test, trained.Stats, new FrozenEvalOptions
        {
            Device = device,
            K = settings.K,
            Temperature = settings.Temperature,
            RawPixelTrainImages = settings.RawPixelTrainImages,
            ReestimateTrainedBatchNorm = settings.ReestimateBatchNorm,
            Seed = settings.Data.Seed,
            Log = settings.Data.Log,
        });
        var state = trained.State;
        return new EvaluationResults
        {
            Method = config.Method,
            Dataset = data.DataName,
            // A closed-form method (PCA) has no backbone: name its representation, not the config's unused encoder.
            Encoder = trained.Encoder is LinearProjectionEncoder linear ? $"linear projection ({linear.EmbeddingDim}-d)" : config.Encoder,
            Width = config.Width,
            Epochs = Math.Round((double)state.Step / Math.Max(1, state.TotalSteps) * config.Epochs, 3),
            Steps = state.Step,
            PretrainImages = config.TrainImages,
            EvalTrainImages = train.Count,
            EvalTestImages = test.Count,
            TestSplit = data.TestSplit.Key,
            TestSplitSource = data.TestSplit.TestSource,
            SplitTrainImages = data.SplitSize("train"),
            SplitTestImages = data.SplitSize("test"),
            KnnTop1 = report.Knn.Top1,
            LinearTop1 = report.Linear.Top1,
            RandomInit = new ProbeScores(report.RandomInit.Knn.Top1, report.RandomInit.Linear.Top1),
            RawPixels = new ProbeScores(report.RawPixels.Knn.Top1, report.RawPixels.Linear.Top1),
            PretextMetric = pretext?.Metric,
            PretextAccuracy = pretext is null ? null : Math.Round(pretext.Accuracy, 2),
            PretextChance = pretext is null ? null : Math.Round(pretext.Chance, 2),
            PretextScores = pretext?.Extra?.ToDictionary(p => p.Key, p => Math.Round(p.Value, 3)),
            RawPixelsTrainImages = Math.Min(train.Count, settings.RawPixelTrainImages ?? int.MaxValue),
            KnnK = settings.K,
            KnnTemperature = settings.Temperature,
            TrainedBatchNormReestimated = settings.ReestimateBatchNorm,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Checkpoint = data.CheckpointPath,
        };
    }
}
