using System.CommandLine;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Reporting;
using SelfSup.Runs;
using SelfSup.Training;
using TorchSharp;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup eval label-efficiency`: accuracy against labels per class for training from scratch, a linear probe on
/// the frozen pretrained encoder and fine-tuning it, on the same class-balanced subsets.
/// </summary>
public static class LabelEfficiencyCommand
{
    public static Command Create()
    {
        var cmd = new Command("label-efficiency", "Scratch vs linear probe vs fine-tuning at few labels per class (test top-1, mean ± std over seeds)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var dataOption = new Option<string?>("--data") { Description = "labeled dataset with train/test splits (default: the pretraining data)" };
        var labels = new Option<string>("--labels-per-class") { Description = "comma-separated counts per class, percentages of the training labels (10%: class-balanced when every class has enough, else stratified) and 'all' for the whole split", DefaultValueFactory = _ => "1,10,100" };
        var seeds = new Option<int>("--seeds") { Description = "number of seeds (0..N-1), each a different labelled subset", DefaultValueFactory = _ => 3 };
        var epochs = new Option<int>("--epochs") { Description = "fine-tuning epochs (scratch trains twice as long)", DefaultValueFactory = _ => 30 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer") { Description = "adamw or sgd", DefaultValueFactory = _ => "adamw" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate of the head (scratch: of every layer)", DefaultValueFactory = _ => 1e-3 };
        var factor = new Option<double>("--backbone-lr-factor") { Description = "backbone lr = head lr × this", DefaultValueFactory = _ => 0.1 };
        var layerDecay = new Option<double?>("--layer-decay") { Description = "layer-wise lr decay per stage from the top (replaces the backbone factor)" };
        var freeze = new Option<int>("--freeze-stages") { Description = "keep the first K encoder stages frozen (0: full fine-tuning)", DefaultValueFactory = _ => 0 };
        var patience = new Option<int>("--patience") { Description = "early-stopping patience in epochs (0: never stop early)", DefaultValueFactory = _ => 10 };
        var lrGrid = new Option<string>("--lr-grid") { Description = "comma-separated lr multipliers tried for scratch and fine-tuning alike, chosen per subset on validation", DefaultValueFactory = _ => "1" };
        var headInit = new Option<string>("--head-init") { Description = "fine-tuning head start: probe (a linear probe on the frozen features first, LP-FT) or random", DefaultValueFactory = _ => "probe" };
        var output = new Option<string?>("--out") { Description = "folder for label_efficiency.{json,png,md} (default: the checkpoint's run folder)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        foreach (var o in new Option[] { checkpoint, dataOption, labels, seeds, epochs, batchSize, optimizer, lr, factor, layerDecay, freeze, patience, lrGrid, headInit, output, device })
            cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var perClass = LabelEfficiency.ParseLabelsPerClass(r.GetValue(labels)!);
            var seedCount = r.GetValue(seeds);
            if (seedCount <= 0) throw new ArgumentException($"--seeds: expected a positive number, got {seedCount}");
            var opt = r.GetValue(optimizer)!;
            if (!Enum.TryParse<OptimizerKind>(opt, ignoreCase: true, out var kind) || kind == OptimizerKind.Lars)
                throw new ArgumentException($"--optimizer: expected adamw or sgd, got '{opt}'");
            var headFromProbe = r.GetValue(headInit) switch
            {
                "probe" => true,
                "random" => false,
                var v => throw new ArgumentException($"--head-init: expected probe or random, got '{v}'"),
            };
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);

            TorchRuntime.Initialize();
            var deviceValue = TorchRuntime.ParseDevice(r.GetValue(device)!);
            using var data = EvaluationData.Open(path, dataFlags.Apply(new EvalDataSettings
            {
                Data = r.GetValue(dataOption),
                Log = DataLog.Options().Log,
            }, r));
            var patienceValue = r.GetValue(patience);
            var options = new LabelEfficiencyOptions
            {
                LabelsPerClass = perClass,
                Seeds = Enumerable.Range(0, seedCount).ToArray(),
                FineTune = new FineTuneOptions
                {
                    Epochs = r.GetValue(epochs),
                    BatchSize = r.GetValue(batchSize),
                    Optimizer = kind,
                    LearningRate = r.GetValue(lr),
                    BackboneLrFactor = r.GetValue(factor),
                    LayerDecay = r.GetValue(layerDecay),
                    FrozenStages = r.GetValue(freeze),
                    Patience = patienceValue > 0 ? patienceValue : null,
                    HeadFromProbe = headFromProbe,
                },
                LrGrid = LabelEfficiency.ParseLrGrid(r.GetValue(lrGrid)!),
                Device = deviceValue,
                Log = new Progress(Cli.Info),
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var results = CheckpointLabelEfficiency.Run(data, options);
            results = results with { Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1) };
            var outDir = r.GetValue(output) ?? EvalCommand.RunFolderOf(path);
            var written = Save(results, outDir);
            Console.WriteLine(results.ToMarkdown());
            Console.WriteLine($"wrote {string.Join(", ", written)}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>Writes label_efficiency.{json,md,png} into <paramref name="outDir"/>; returns their paths.</summary>
    internal static IReadOnlyList<string> Save(LabelEfficiencyResults results, string outDir)
    {
        var json = Path.Combine(outDir, "label_efficiency.json");
        var md = Path.Combine(outDir, "label_efficiency.md");
        var png = Path.Combine(outDir, "label_efficiency.png");
        LabelEfficiencyResults.WriteAtomically(json, results.ToJson());
        LabelEfficiencyResults.WriteAtomically(md, results.ToMarkdown());
        LabelEfficiencyPlot.Save(results, png);
        return [json, md, png];
    }

    internal sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
