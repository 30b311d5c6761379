using System.CommandLine;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup pretrain`: trains an encoder with a self-supervised method; `--resume` continues a stopped run. SIGINT or
/// SIGTERM stops it after the step in flight with a checkpoint, and it exits 0 printing the command that resumes it.
/// </summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("pretrain", "Pretrain an encoder on unlabeled images");
        var run = new RunOptions(cmd, new RunConfig { BatchSize = 256, Epochs = 1 });
        var output = new Option<string>("--out") { Description = "run folder (config.yaml, metrics.jsonl, tensorboard/, checkpoints/)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue from <out>/checkpoints/last.ckpt with its saved configuration" };
        cmd.Options.Add(output);
        cmd.Options.Add(resume);
        var distributed = new DistributedFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var outDir = r.GetValue(output)!;
            var world = distributed.Start(r);
            var config = run.Read(r);
            if (r.GetValue(resume))
            {
                var ckpt = Path.Combine(outDir, "checkpoints", "last.ckpt");
                if (!File.Exists(ckpt)) throw new FileNotFoundException($"{ckpt}: nothing to resume (no checkpoint in {outDir})");
                // --max-steps, and --skip-nonfinite when given, apply to the resumed run; every other setting is the checkpoint's.
                var saved = Checkpoint.ReadState(ckpt).Config;
                config = saved with { MaxSteps = config.MaxSteps, SkipNonFinite = config.SkipNonFinite > 0 ? config.SkipNonFinite : saved.SkipNonFinite };
            }
            if (!r.GetValue(resume)) Cli.Info($"{config.Method}: {Describe(config)}");
            if (world.WorldSize > 1) Cli.Info(DistributedFlags.Describe(config, world));
            config = DistributedFlags.ForRank(config, world);
            TrainSummary summary;
            using (var stop = new StopSignals())
            {
                summary = Pretrain(config, outDir, r.GetValue(resume), stop.Token, world);
                if (summary.Interrupted)
                {
                    if (!Cli.Quiet)
                        Console.WriteLine(world.WorldSize == 1
                            ? Interrupted(summary, config, outDir)
                            // the same ranks or another number of them, or one process without --distributed
                            : Interrupted(summary, config, outDir).Replace($"resume with: {Cli.Name} ", $"resume with: mpirun -np {world.WorldSize} {Cli.Name} ") + " --distributed mpi");
                    return 0;
                }
            }
            if (Cli.Quiet) return 0;
            var skipped = summary.SkippedSteps > 0 ? $", {summary.SkippedSteps} non-finite steps skipped" : "";
            Console.WriteLine($"trained {summary.StepsDone}/{summary.TotalSteps} steps in {summary.Seconds:F0} s ({summary.ImagesPerSecond:F0} img/s){(double.IsNaN(summary.FinalLoss) ? "" : $", final loss {summary.FinalLoss:F4}")}{skipped}; checkpoint {summary.LastCheckpoint}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// What an interrupted run prints: where it stopped, its checkpoint and the command that resumes it (with
    /// `--max-steps` when the run had one, since `--resume` takes every other setting from the checkpoint).
    /// </summary>
    public static string Interrupted(TrainSummary summary, RunConfig config, string outDir)
    {
        var maxSteps = config.MaxSteps is { } m ? $" --max-steps {m}" : "";
        var skipped = summary.SkippedSteps > 0 ? $" ({summary.SkippedSteps} non-finite steps skipped)" : "";
        return $"interrupted after step {summary.StepsDone}/{summary.TotalSteps}{skipped}; checkpoint {summary.LastCheckpoint}\n"
            + $"resume with: {Cli.Name} pretrain --resume --out {ShellWord(outDir)}{maxSteps}";
    }

    /// <summary><paramref name="word"/> as one shell word: unchanged when plain, else in single quotes.</summary>
    public static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:=+@%,".Contains(c)) ? word : $"'{word.Replace("'", "'\\''")}'";

    /// <summary>Pretrains (or resumes) the run in <paramref name="outDir"/>; <paramref name="cancel"/> stops it after the step in flight, with a checkpoint.</summary>
    public static TrainSummary Pretrain(RunConfig config, string outDir, bool resume, CancellationToken cancel = default, ICollectives? world = null)
    {
        world ??= SingleProcess.Instance;
        if (MethodRegistry.Get(config.Method).IsText)
            return world.WorldSize == 1 ? PretrainText(config, outDir, resume, cancel) : throw new ArgumentException($"--distributed: {config.Method} trains on text; data-parallel training covers image methods");
        using var run = Pretraining.Create(config, outDir, DataLog.Options(), loadInit: !resume);
        var images = $"{run.Data.Count} images {run.Config.Channels}×{run.Config.ImageSize}×{run.Config.ImageSize}";
        Cli.Info(run.Method is ClosedFormMethod
            ? $"{run.Config.Method} on {run.Data.Name}: {images}, fitted in closed form (no optimiser, no steps), {run.Method.Representation.EmbeddingDim}-d representation, device {run.Config.Device}"
            : $"{run.Config.Method} on {run.Data.Name}: {images}, encoder {run.Config.Encoder} ({run.Method.Representation.EmbeddingDim}-d representation), {run.Loader.BatchesPerEpoch} steps/epoch × {run.Config.Epochs} epochs, device {run.Config.Device}");
        run.Trainer.ProbeDataOptions = DataLog.Options();
        run.Trainer.Collectives = world;
        if (Cli.Quiet) return run.Trainer.Fit(resume, null, cancel);
        return TrainingProgress.Run(p => run.Trainer.Fit(resume, new MonitorLines(p), cancel), run.Config.Method);
    }

    /// <summary>A text method's run: the corpus and tokenizer come from <see cref="SelfSup.Text.TextPipeline.Default"/>.</summary>
    static TrainSummary PretrainText(RunConfig config, string outDir, bool resume, CancellationToken cancel)
    {
        using var run = TextPretraining.Create(config with { OnlineProbeEvery = 0 }, outDir, resume: resume);
        Cli.Info($"{run.Config.Method} on {run.Config.Data}: {run.Train.Count} documents ({run.HeldOut.Count} held out for evaluation), vocabulary {run.Tokenizer.VocabSize}, "
            + $"text encoder {run.Method.TextEncoder.EmbeddingDim}-d, {run.Data.BatchesPerEpoch} steps/epoch × {run.Config.Epochs} epochs, device {run.Config.Device}");
        return TrainingProgress.Run(p => run.Trainer.Fit(resume, new MonitorLines(p), cancel), run.Config.Method);
    }

    /// <summary>The optimisation settings in one line, each marked with where it came from when not the recipe.</summary>
    static string Describe(RunConfig c)
    {
        string From(string key) => c.SettingSources.TryGetValue(key, out var s) && s != "recipe" ? $" ({s})" : "";
        var wd = c.WeightDecayEnd is { } end ? $"{c.WeightDecay:G3} → {end:G3}" : $"{c.WeightDecay:G3}";
        return $"{c.Optimizer.ToString().ToLowerInvariant()}{From("optimizer")}, lr {c.LearningRate:G4}{From("learning_rate")}, weight decay {wd}{From("weight_decay")}, "
            + $"warm-up {c.WarmupEpochs:G3} epochs{From("warmup_epochs")}" + (c.GradClip > 0 ? $", gradient clip {c.GradClip:G3}{From("grad_clip")}" : "")
            + " — recipe unless marked";
    }

    /// <summary>Prints online-probe scores and warnings as their own lines, and passes step progress on.</summary>
    sealed class MonitorLines(IProgress<TrainProgress> inner) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress p)
        {
            if (p.Warning is { } w) Console.Error.WriteLine($"warning: {w}");
            if (p.Probe is { } probe) Cli.Info($"online k-NN probe after step {p.Step}: top-1 {probe.KnnTop1:F2} %, top-5 {probe.KnnTop5:F2} % ({probe.Seconds:F1} s)");
            if (p.Step > 0) inner.Report(p);
        }
    }
}
