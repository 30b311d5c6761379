using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Reporting;
using SelfSup.Runs;
using SelfSup.Training;
using TorchSharp;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup demo medical`: self-supervised pretraining on PneumoniaMNIST's train and val images without their labels,
/// then the label-efficiency experiment (scratch, linear probe, fine-tuning) from a few labels per class to all of them,
/// scored on the official test split by accuracy and AUROC, with the curve and an HTML report in one run folder. With
/// `--data folder --labels labels.csv` the same on one's own images: pretraining reads every image, the labelled ones
/// make the curve. Every pretraining flag of `pretrain` can be overridden.
/// </summary>
public static class MedicalDemoCommand
{
    /// <summary>
    /// The demo's pretraining run: the SimCLR ConvNet recipe measured on PneumoniaMNIST in
    /// docs/evaluation-label-efficiency.md (width 16, batch 256, LARS lr 1.0, 30 epochs), on train + val.
    /// </summary>
    public static readonly RunConfig Defaults = new()
    {
        Method = "simclr",
        Data = "pneumoniamnist",
        Encoder = "convnet",
        Width = 16,
        Epochs = 30,
        BatchSize = 256,
        CheckpointEvery = 0,
        Seed = 0,
    };

    /// <summary>Warm-up epochs of the measured run (the recipe's would be 10 % of the run); applied unless typed or the method changes.</summary>
    public const double DefaultWarmupEpochs = 2;

    /// <summary>Method options of the measured run, for <see cref="Defaults"/>'s method only; a typed <c>--set</c> wins.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultMethodOptions = new Dictionary<string, string>
    {
        ["projection_hidden_dim"] = "256",
        ["temperature"] = "0.2",
        ["crop_min_scale"] = "0.2",
    };

    /// <summary>Splits pretrained on when the dataset has a validation split of its own.</summary>
    public const string DefaultPretrainSplits = "train+val";

    /// <summary>The points of the curve.</summary>
    public const string DefaultLabelBudgets = "5,10,50,100,1%,10%,all";

    public const int DefaultSeeds = 3;

    /// <summary>Fine-tuning epochs of each labelled subset (scratch trains twice as long), as in the measured runs.</summary>
    public const int DefaultEvalEpochs = 15;

    /// <summary>Fine-tuning steps each subset trains at least (scratch twice as many): the label-efficiency default.</summary>
    public static readonly int DefaultMinSteps = new FineTuneOptions().MinSteps;
    /// <summary>Fine-tuning's backbone learning-rate factor (the label-efficiency default unless measurement says otherwise).</summary>
    public static readonly double DefaultBackboneLrFactor = new FineTuneOptions().BackboneLrFactor;

    public static Command Create()
    {
        var cmd = new Command("medical", "Pretrain on PneumoniaMNIST train + val images without labels, then accuracy and AUROC on the test split against labels used (scratch, linear probe, fine-tune); --data DIR --labels CSV for your own images");
        var run = new RunOptions(cmd, Defaults);
        var output = new Option<string>("--out") { Description = "run folder", DefaultValueFactory = _ => Path.Combine("runs", "medical") };
        var budgets = new Option<string>("--labels-per-class") { Description = "points of the curve: counts per class, percentages of the training labels, 'all'", DefaultValueFactory = _ => DefaultLabelBudgets };
        var seeds = new Option<int>("--seeds") { Description = "seeds (0..N-1), each a different labelled subset", DefaultValueFactory = _ => DefaultSeeds };
        var evalEpochs = new Option<int>("--eval-epochs") { Description = "fine-tuning epochs per subset (scratch trains twice as long; at least 200 steps)", DefaultValueFactory = _ => DefaultEvalEpochs };
        var minSteps = new Option<int>("--min-steps") { Description = "at least this many fine-tuning steps per subset (scratch: twice as many)", DefaultValueFactory = _ => DefaultMinSteps };
        var lrGrid = new Option<string>("--lr-grid") { Description = "lr multipliers tried for scratch and fine-tuning alike, chosen per subset on validation", DefaultValueFactory = _ => "1" };
        var backbone = new Option<double>("--backbone-lr-factor") { Description = "fine-tuning: backbone lr = head lr × this (1: the whole network at the head's rate)", DefaultValueFactory = _ => DefaultBackboneLrFactor };
        foreach (var o in new Option[] { output, budgets, seeds, evalEpochs, minSteps, lrGrid, backbone }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var labelBudgets = LabelBudget.ParseList(r.GetValue(budgets)!);
            var seedCount = r.GetValue(seeds);
            if (seedCount <= 0) throw new ArgumentException($"--seeds: expected a positive number, got {seedCount}");
            var epochs = r.GetValue(evalEpochs);
            if (epochs <= 0) throw new ArgumentException($"--eval-epochs: expected a positive number, got {epochs}");
            var grid = LabelEfficiency.ParseLrGrid(r.GetValue(lrGrid)!);
            var steps = r.GetValue(minSteps);
            if (steps < 0) throw new ArgumentException($"--min-steps: expected a number ≥ 0, got {steps}");
            var config = WithDemoSettings(run.Read(r));
            var outDir = r.GetValue(output)!;
            var clock = Stopwatch.StartNew();

            Cli.Info($"{config.Method} on the {config.PretrainSplits ?? "train"} images of {config.Data}{(config.Labels is null ? "" : $" (labels from {config.Labels} used only for evaluation)")}");
            var summary = PretrainCommand.Pretrain(config, outDir, resume: false);
            var pretrainSeconds = clock.Elapsed.TotalSeconds;
            var results = RunLabelEfficiency(summary.LastCheckpoint!, labelBudgets, seedCount, new FineTuneOptions { Epochs = epochs, MinSteps = steps, BackboneLrFactor = r.GetValue(backbone) }, grid);
            results = results with { Seconds = Math.Round(clock.Elapsed.TotalSeconds - pretrainSeconds, 1) };
            LabelEfficiencyCommand.Save(results, outDir);
            var page = RunReportHtml.Write(outDir);
            Console.WriteLine(Table(results));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pretraining {pretrainSeconds:F0} s, label efficiency {results.Seconds:F0} s, total {clock.Elapsed.TotalSeconds:F0} s; wrote {outDir}/label_efficiency.{{json,md,png}} and {page.Path}"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// The demo's settings over what <see cref="RunOptions"/> resolved: the measured run's warm-up and method options
    /// while the method is <see cref="Defaults"/>'s, the train + val images of a dataset with a validation split, and an
    /// own image folder labelled by a label file read as one unlabeled pile (its sub-folders are not classes).
    /// </summary>
    public static RunConfig WithDemoSettings(RunConfig config)
    {
        if (config.Method == Defaults.Method)
        {
            var options = new Dictionary<string, string>(DefaultMethodOptions);
            foreach (var (k, v) in config.MethodOptions) options[k] = v;
            config = config with { MethodOptions = options };
            if (config.SettingSources.GetValueOrDefault("warmup_epochs") == "recipe")
                config = config with
                {
                    WarmupEpochs = DefaultWarmupEpochs,
                    SettingSources = new Dictionary<string, string>(config.SettingSources) { ["warmup_epochs"] = "demo" },
                };
        }
        if (config.PretrainSplits is null && SupervisedData.HasValidationSplit(config.Data))
            config = config with { PretrainSplits = DefaultPretrainSplits };
        if (config.Labels is not null && Directory.Exists(config.Data))
            config = config with { Unlabeled = true };
        return config;
    }

    /// <summary>The three arms on the checkpoint's own evaluation data (its test split as the data defines it); counts no class can give are left out with a note.</summary>
    static LabelEfficiencyResults RunLabelEfficiency(string checkpoint, IReadOnlyList<LabelBudget> budgets, int seeds, FineTuneOptions fineTune, IReadOnlyList<double> grid)
    {
        using var data = EvaluationData.Open(checkpoint, new EvalDataSettings { Log = DataLog.Options().Log });
        data.RequireLabels("label efficiency");
        var smallest = data.Train.Labels!.GroupBy(l => l).Min(g => g.Count());
        var kept = budgets.Where(b => b.PerClass is not { } k || k <= smallest).ToList();
        foreach (var b in budgets.Except(kept))
            Cli.Info($"leaving out {b.Label} labels per class: the smallest class has {smallest} training images");
        if (kept.Count == 0) throw new ArgumentException($"--labels-per-class: no point fits; the smallest class has {smallest} training images");
        return CheckpointLabelEfficiency.Run(data, new LabelEfficiencyOptions
        {
            LabelsPerClass = kept,
            Seeds = Enumerable.Range(0, seeds).ToArray(),
            FineTune = fineTune,
            LrGrid = grid,
            Device = TorchRuntime.ParseDevice(data.Config.Device),
            Log = new LabelEfficiencyCommand.Progress(Cli.Info),
        });
    }

    /// <summary>Test accuracy (and AUROC for two classes) per point and arm, mean ± std over seeds.</summary>
    internal static string Table(LabelEfficiencyResults results)
    {
        var c = CultureInfo.InvariantCulture;
        static string Cell(ArmScore acc, ArmScore? auc) =>
            string.Create(CultureInfo.InvariantCulture, $"{acc.Mean:F1} ± {acc.Std:F1}") +
            (auc is null ? "" : string.Create(CultureInfo.InvariantCulture, $" / {auc.Mean / 100:F3} ± {auc.Std / 100:F3}"));
        var rows = results.Points.Select(p => new[]
        {
            p.LabelsPerClass, p.LabeledImages.ToString(c),
            Cell(p.Scratch, p.ScratchAuroc), Cell(p.LinearProbe, p.LinearProbeAuroc), Cell(p.FineTune, p.FineTuneAuroc),
        }).ToList();
        var auroc = results.Points.All(p => p.FineTuneAuroc is not null);
        string[] header = ["labels", "images", "scratch", "linear probe", "fine-tune"];
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((s, i) => i < 2 ? s.PadLeft(widths[i]) : s.PadRight(widths[i]))).TrimEnd();
        var lines = new List<string>
        {
            string.Create(c, $"test {(auroc ? "accuracy % / AUROC" : "accuracy %")} on {results.TestImages} images ({results.TestSplit ?? "given"}), mean ± std over {results.Seeds.Count} seed{(results.Seeds.Count == 1 ? "" : "s")}"),
            Line(header),
        };
        lines.AddRange(rows.Select(Line));
        return string.Join(Environment.NewLine, lines);
    }
}
