using System.CommandLine;
using System.Diagnostics;
using SelfSup.Runs;
using SelfSup.Training;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup demo`: SimCLR on CIFAR-10 sized for a 2-core CPU in about ten minutes, then k-NN and a linear probe
/// on the test split against a fair random-init encoder and raw pixels. Every pretraining flag can be overridden.
/// SIGINT or SIGTERM during pretraining stops it with a checkpoint and prints how to resume and evaluate it.
/// </summary>
public static class DemoCommand
{
    /// <summary>The demo's run, chosen from throughput measured on a 2-core CPU (see docs/methods.md).</summary>
    public static readonly RunConfig Defaults = new()
    {
        Method = "simclr",
        Data = "cifar10",
        // A seeded 40,000-image subset of the 50,000 training images keeps build + data + training + evaluation
        // within ten minutes on two cores; the evaluation uses the full train and test splits.
        DataLimit = 40_000,
        Encoder = "resnet18",
        Width = 16,
        Epochs = 2,
        BatchSize = 256,
        // Optimiser, learning rate, weight decay and warm-up come from SimCLR's recipe.
        CheckpointEvery = 100,
        Seed = 0,
    };

    public static Command Create()
    {
        var cmd = new Command("demo", "Pretrain SimCLR on CIFAR-10 and evaluate it against a random-init encoder and raw pixels");
        var run = new RunOptions(cmd, Defaults);
        var output = new Option<string>("--out") { Description = "run folder", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var trainLimit = new Option<int?>("--eval-train-limit") { Description = "training images used as k-NN bank and probe training set (default: all)" };
        cmd.Options.Add(output);
        cmd.Options.Add(trainLimit);
        cmd.Subcommands.Add(MedicalDemoCommand.Create());
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var config = run.Read(r);
            var outDir = r.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            TrainSummary summary;
            using (var stop = new StopSignals())
            {
                summary = PretrainCommand.Pretrain(config, outDir, resume: false, stop.Token);
                if (summary.Interrupted)
                {
                    Console.WriteLine(PretrainCommand.Interrupted(summary, config, outDir));
                    Console.WriteLine($"then evaluate with: {Cli.Name} eval --checkpoint {PretrainCommand.ShellWord(outDir)}");
                    return 0;
                }
            }
            var pretrainSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(summary.ClosedForm
                ? $"fitted in closed form in {pretrainSeconds:F0} s; evaluating on the test split"
                : $"pretrained {summary.StepsDone} steps in {pretrainSeconds:F0} s ({summary.ImagesPerSecond:F0} img/s); evaluating on the test split");
            var results = CheckpointEvaluation.Run(summary.LastCheckpoint!, new EvalSettings
            {
                Data = new EvalDataSettings { TrainLimit = r.GetValue(trainLimit), Seed = (int)config.Seed, Log = DataLog.Options().Log },
                Device = config.Device,
            });
            results = results with { PretrainSeconds = Math.Round(pretrainSeconds, 1) };
            var file = Path.Combine(outDir, "results.json");
            results.Save(file);
            ResultsTable.Print(results);
            Console.WriteLine($"wrote {file} (total {clock.Elapsed.TotalSeconds:F0} s)");
            return 0;
        }));
        return cmd;
    }
}
