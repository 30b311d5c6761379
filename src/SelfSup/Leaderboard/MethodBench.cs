using System.Diagnostics;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Leaderboard;

/// <summary>
/// One method under a <see cref="BenchProtocol"/>: a short calibration run measures its <see cref="StepRate"/>, the
/// <see cref="BudgetPlanner"/> sizes a run that fills the budget with a complete schedule, the run trains with the
/// method's recipe (<see cref="RunSettings.WithRecipe"/>), and its checkpoint is scored as `selfsup eval` scores one
/// (<see cref="CheckpointEvaluation"/>), then fine-tuned at a few labels per class (<see cref="LabelEfficiency"/>) and,
/// on two-class data, scored by test AUROC (<see cref="ClassifierScore"/>).
/// </summary>
public static class MethodBench
{
    /// <summary>Trains and evaluates <paramref name="method"/> in <paramref name="dir"/> (run/ holds the run; calibration/ is removed).</summary>
    public static LeaderboardEntry Run(MethodInfo method, BenchProtocol protocol, string dir, IProgress<string>? log = null,
        IProgress<TrainProgress>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var setup = protocol.SetupFor(method);
        var defaults = new RunConfig
        {
            Method = method.Name,
            Data = protocol.Data,
            Encoder = setup.Encoder,
            Width = setup.Width,
            BatchSize = protocol.BatchSize,
            Seed = protocol.Seed,
            Device = protocol.Device,
            Threads = protocol.Threads,
            CheckpointEvery = 0,
            TensorBoard = false,
            MethodOptions = new Dictionary<string, string>(setup.MethodOptions),
        };
        RunConfig Config(int epochs, int? dataLimit, long? maxSteps) =>
            RunSettings.WithRecipe(defaults with { Epochs = epochs, DataLimit = dataLimit, MaxSteps = maxSteps });

        var calibration = Calibrate(Config(protocol.CalibrationWarmup + protocol.CalibrationSteps, protocol.DataLimit,
            protocol.CalibrationWarmup + protocol.CalibrationSteps), Path.Combine(dir, "calibration"), protocol.CalibrationWarmup);
        BudgetPlan plan;
        RunConfig config;
        if (calibration.Rate is not { } rate)
        {
            plan = BudgetPlanner.ClosedForm(protocol.BudgetSeconds);
            config = Config(1, protocol.DataLimit, null);
        }
        else
        {
            plan = BudgetPlanner.Plan(rate, protocol.BudgetSeconds, calibration.TrainImages, protocol.BatchSize, protocol.Safety);
            config = Config(plan.Epochs, plan.DataLimit ?? protocol.DataLimit, plan.TotalSteps);
            log?.Report($"{method.Name}: {rate.SecondsPerStep:F3} s/step + {rate.EpochOverheadSeconds:F1} s/epoch → {plan.Epochs} epoch(s) × {plan.StepsPerEpoch} steps"
                + (plan.DataLimit is { } n ? $" over a seeded subset of {n} images" : "") + $", planned {plan.PlannedSeconds:F0} s of {plan.BudgetSeconds:F0} s");
        }

        var runDir = Path.Combine(dir, "run");
        if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true); // an interrupted earlier attempt starts over
        TrainSummary summary;
        using (var run = Pretraining.Create(config, runDir))
        {
            if (calibration.Rate is not null && run.Loader.BatchesPerEpoch != plan.StepsPerEpoch)
                throw new InvalidOperationException($"{method.Name}: the planned {plan.StepsPerEpoch} steps per epoch became {run.Loader.BatchesPerEpoch}");
            summary = run.Trainer.Fit(progress: progress);
        }
        var checkpoint = summary.LastCheckpoint ?? throw new InvalidOperationException($"{method.Name}: the run wrote no checkpoint");

        var evalData = new EvalDataSettings { TrainLimit = protocol.EvalTrainLimit, TestLimit = protocol.EvalTestLimit, Seed = (int)protocol.Seed, Log = log };
        var evaluation = CheckpointEvaluation.Run(checkpoint, new EvalSettings { Data = evalData, Device = protocol.Device }) with
        {
            PretrainSeconds = Math.Round(summary.Seconds, 1),
        };
        var (fineTune, auroc) = FineTuneAndAuroc(protocol, checkpoint, evalData, log);
        return new LeaderboardEntry
        {
            Method = method.Name,
            Family = method.Family,
            Dataset = protocol.Data,
            Status = EntryStatus.Done,
            Encoder = calibration.Rate is null ? evaluation.Encoder : setup.Describe(),
            MethodOptions = setup.MethodOptions.Count > 0 ? setup.MethodOptions : null,
            Note = BenchProtocol.Note(method),
            BatchSize = protocol.BatchSize,
            Rate = calibration.Rate,
            CalibrationSeconds = Math.Round(calibration.Seconds, 1),
            Plan = plan,
            ActualSeconds = Math.Round(summary.Seconds, 1),
            StepsDone = summary.StepsDone,
            FinalLoss = double.IsFinite(summary.FinalLoss) ? Math.Round(summary.FinalLoss, 4) : null,
            Warnings = summary.Warnings.Count > 0 ? summary.Warnings : null,
            Evaluation = evaluation,
            FineTune = fineTune,
            LinearAuroc = auroc,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            RunDir = Path.GetFullPath(runDir),
        };
    }

    /// <summary>What the calibration run measured; <see cref="Rate"/> is null for a closed-form method (nothing to time).</summary>
    sealed record Calibration(StepRate? Rate, int TrainImages, double Seconds);

    /// <summary>A few steps of the method's own run, timed step by step; the folder is removed afterwards.</summary>
    static Calibration Calibrate(RunConfig config, string dir, int warmup)
    {
        var clock = Stopwatch.StartNew();
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        try
        {
            using var run = Pretraining.Create(config, dir);
            if (run.Method is ClosedFormMethod) return new Calibration(null, run.Data.Count, clock.Elapsed.TotalSeconds);
            var ends = new StepEnds();
            var checks = ConvolutionGuard.CheckSeconds;
            run.Trainer.Fit(progress: ends);
            // Convolution checks run once per process, in the first steps: not an epoch's overhead (the run reuses them).
            checks = ConvolutionGuard.CheckSeconds - checks;
            return new Calibration(StepRate.FromStepEnds(ends.Seconds, warmup, checks), run.Data.Count, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Wall time since construction at the end of every step, reported synchronously by the Trainer.</summary>
    sealed class StepEnds : IProgress<TrainProgress>
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        public List<double> Seconds { get; } = [];

        public void Report(TrainProgress value)
        {
            if (value.Step > 0) Seconds.Add(clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// Fine-tuning at the protocol's labels per class (when it asks for seeds and the method has weights to tune) and,
    /// on two-class data, the linear probe's test AUROC.
    /// </summary>
    static (LabelEfficiencyPoint? FineTune, double? Auroc) FineTuneAndAuroc(BenchProtocol protocol, string checkpoint,
        EvalDataSettings settings, IProgress<string>? log)
    {
        using var data = EvaluationData.Open(checkpoint, settings);
        data.RequireLabels("the leaderboard");
        var device = TorchRuntime.ParseDevice(protocol.Device);
        var (trained, train, test) = (data.Trained, data.Train, data.Test);
        trained.Encoder.to(device);
        double? auroc = null;
        if (Math.Max(train.NumClasses, test.NumClasses) == 2) auroc = LinearAuroc(trained, train, test, device);
        // A closed-form representation (PCA's projection) has no weights to fine-tune.
        if (protocol.FineTuneSeeds <= 0 || trained.Method is ClosedFormMethod) return (null, auroc);
        var results = CheckpointLabelEfficiency.Run(data, new LabelEfficiencyOptions
        {
            LabelsPerClass = [protocol.FineTuneLabelsPerClass],
            Seeds = Enumerable.Range(0, protocol.FineTuneSeeds).ToArray(),
            Device = device,
            Log = log,
        });
        return (results.Points[0], auroc);
    }

    /// <summary>Test AUROC × 100 of a linear probe fitted on the frozen features of the whole train split.</summary>
    static double? LinearAuroc(TrainedEncoder trained, ImageDataset train, ImageDataset test, Device device)
    {
        using var scope = NewDisposeScope();
        var xTrain = Features.Extract(trained.Encoder, train, trained.Stats, device); // [N, D]
        var xTest = Features.Extract(trained.Encoder, test, trained.Stats, device); // [N_test, D]
        using var probe = LinearProbe.Fit(xTrain, train.Labels!, 2, new LinearProbeOptions());
        var logits = xTest.to(probe.Weight.device).matmul(probe.Weight).add(probe.Bias); // [N_test, 2]
        return ClassifierScore.FromLogits(logits, test.Labels!).Auroc is { } a ? Math.Round(100 * a, 2) : null;
    }
}
