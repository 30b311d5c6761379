using System.CommandLine;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>`selfsup eval`: k-NN and linear probe of a checkpoint's frozen encoder against random init and raw pixels.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("eval", "Evaluate a pretrained encoder on frozen features (k-NN, linear probe)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file (runs/x/checkpoints/last.ckpt) or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "labeled dataset with train/test splits (default: the pretraining data)" };
        var trainLimit = new Option<int?>("--train-limit") { Description = "use a seeded subset of this many training images for the k-NN bank and probe" };
        var rawLimit = new Option<int>("--raw-train-limit") { Description = "training images for the raw-pixel baseline (0: as many as the bank; its probe is costly on wide images)", DefaultValueFactory = _ => 10_000 };
        var output = new Option<string?>("--out") { Description = "folder for results.json (default: the checkpoint's run folder)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var k = new Option<int>("--k") { Description = "k-NN neighbours", DefaultValueFactory = _ => 20 };
        var temperature = new Option<double>("--knn-temperature") { Description = "k-NN vote temperature", DefaultValueFactory = _ => 0.07 };
        var reestimateBn = ReestimateBatchNormOption();
        foreach (var o in new Option[] { checkpoint, data, trainLimit, rawLimit, output, device, k, temperature, reestimateBn }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.Subcommands.Add(LabelEfficiencyCommand.Create());
        cmd.Subcommands.Add(SupervisedCommand.Create());
        foreach (var sub in new[] { ClusterCommand.Create(), RetrievalCommand.Create(), RobustnessCommand.Create() }) cmd.Subcommands.Add(sub);
        cmd.Subcommands.Add(ProjectCommand.Create());
        cmd.Subcommands.Add(ZeroShotCommand.Create());
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var path = ResolveCheckpoint(r.GetValue(checkpoint)!);
            if (TrainedTextEncoder.IsText(path)) return EvaluateText(path, r.GetValue(output), r.GetValue(device)!);
            var results = CheckpointEvaluation.Run(path, new EvalSettings
            {
                Data = dataFlags.Apply(new EvalDataSettings
                {
                    Data = r.GetValue(data),
                    TrainLimit = r.GetValue(trainLimit),
                    Log = DataLog.Options().Log,
                }, r),
                RawPixelTrainImages = r.GetValue(rawLimit) switch
                {
                    0 => null,
                    > 0 and var n => n,
                    var n => throw new ArgumentException($"--raw-train-limit: expected a positive count or 0 for all, got {n}"),
                },
                Device = r.GetValue(device)!,
                K = r.GetValue(k),
                Temperature = r.GetValue(temperature),
                ReestimateBatchNorm = r.GetValue(reestimateBn),
            });
            var outDir = r.GetValue(output) ?? RunFolderOf(path);
            var file = Path.Combine(outDir, "results.json");
            results.Save(file);
            ResultsTable.Print(results);
            Console.WriteLine($"wrote {file}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// A text checkpoint: masked-token accuracy against the unigram baseline and the category probe against random
    /// init, on the documents the run held out (image options do not apply).
    /// </summary>
    static int EvaluateText(string path, string? outDir, string device)
    {
        var results = TextEvaluation.Run(path, device: device);
        var file = Path.Combine(outDir ?? RunFolderOf(path), "results.json");
        results.Save(file);
        if (results.MaskedTokenAccuracy is { } acc)
            Console.WriteLine($"masked-token accuracy {acc:F2} % on {results.MaskedTokens} masked tokens of {results.HeldOutDocuments} held-out documents (unigram baseline '{results.UnigramBaselineToken}': {results.UnigramBaselineAccuracy:F2} %)");
        if (results.ProbeTop1 is { } probe)
            Console.WriteLine($"category probe {probe:F2} % (random init {results.RandomInitProbeTop1:F2} %, majority class {results.ProbeMajorityClass:F2} %, {results.ProbeClasses} classes)");
        Console.WriteLine($"wrote {file}");
        return 0;
    }

    /// <summary>`--reestimate-bn`, shared by `eval` and its analysis subcommands.</summary>
    internal static Option<bool> ReestimateBatchNormOption() => new("--reestimate-bn") { Description = "re-estimate the trained encoder's BatchNorm statistics on clean training images, as random init's are (default: keep those of pretraining)" };

    /// <summary>A run folder stands for its last checkpoint.</summary>
    public static string ResolveCheckpoint(string path) =>
        Directory.Exists(path) ? Path.Combine(path, "checkpoints", "last.ckpt") : path;

    public static string RunFolderOf(string checkpointPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!;
        return Path.GetFileName(dir) == "checkpoints" ? Path.GetDirectoryName(dir)! : dir;
    }
}
