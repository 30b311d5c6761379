using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Numerics;
using SelfSup.Runs;
using Spectre.Console;
using TorchSharp;

namespace SelfSup.Cli;

/// <summary>`selfsup eval cluster`: k-means on test embeddings (k = classes) scored by NMI, ARI and cluster accuracy.</summary>
public static class ClusterCommand
{
    public static Command Create()
    {
        var cmd = new Command("cluster", "k-means on frozen test features (k = number of classes): NMI, ARI, accuracy vs random init and raw pixels");
        var common = AnalysisOptions.Create(cmd);
        var restarts = new Option<int>("--restarts") { Description = "k-means++ restarts (lowest inertia kept)", DefaultValueFactory = _ => 10 };
        cmd.Options.Add(restarts);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            using var run = common.Open(r);
            var labels = run.Test.Labels!;
            var k = Math.Max(run.Test.NumClasses, labels.Distinct().Count());
            var options = new KMeansOptions { Restarts = r.GetValue(restarts), Seed = run.Seed };
            var table = new Table().Title(Markup.Escape($"k-means (k = {k}) on {run.DataName} {run.Test.Count} test images")).AddColumns("features", "NMI", "ARI", "accuracy (%)");
            var scores = new JsonObject();
            foreach (var source in run.Sources)
            {
                using var features = source.Extract(run.Test).to(run.Device); // [N, D]
                var s = ClusteringEvaluation.Score(features, labels, k, options);
                Cli.Info($"{source.Name}: NMI {s.Nmi:F4}, ARI {s.Ari:F4}, accuracy {s.Accuracy:F2} %");
                table.AddRow(source.Name, $"{s.Nmi:F4}", $"{s.Ari:F4}", $"{s.Accuracy:F2}");
                scores[source.Name] = JsonSerializer.SerializeToNode(s);
            }
            AnsiConsole.Write(table);
            run.Save(ClusteringEvaluation.ResultFile, new JsonObject { ["k"] = k, ["restarts"] = options.Restarts, ["features_l2_normalized"] = true, ["scores"] = scores }, clock);
            return 0;
        }));
        return cmd;
    }
}

/// <summary>Flags shared by the analysis subcommands of `eval` (cluster, retrieval, robustness).</summary>
internal sealed class AnalysisOptions
{
    readonly Option<string> checkpoint = new("--checkpoint") { Description = "a checkpoint file (runs/x/checkpoints/last.ckpt) or a run folder", Required = true };
    readonly Option<string?> data = new("--data") { Description = "labeled dataset with train/test splits (default: the pretraining data)" };
    readonly Option<int?> trainLimit = new("--train-limit") { Description = "use a seeded subset of this many training images" };
    readonly Option<int?> testLimit = new("--test-limit") { Description = "use a seeded subset of this many test images" };
    EvalDataFlags? dataFlags;
    readonly Option<string?> output = new("--out") { Description = "folder for the JSON result (default: the checkpoint's run folder)" };
    readonly Option<string> device = new("--device") { DefaultValueFactory = _ => "cpu" };
    readonly Option<int> seed = new("--seed") { Description = "seeds subsets, k-means, corruptions", DefaultValueFactory = _ => 0 };
    readonly Option<bool> reestimateBn = EvalCommand.ReestimateBatchNormOption();

    public static AnalysisOptions Create(Command cmd)
    {
        var o = new AnalysisOptions();
        foreach (var option in new Option[] { o.checkpoint, o.data, o.trainLimit, o.testLimit }) cmd.Options.Add(option);
        o.dataFlags = new EvalDataFlags(cmd);
        foreach (var option in new Option[] { o.output, o.device, o.seed, o.reestimateBn }) cmd.Options.Add(option);
        return o;
    }

    public AnalysisRun Open(ParseResult r)
    {
        TorchRuntime.Initialize();
        var data = EvaluationData.Open(EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!), dataFlags!.Apply(new EvalDataSettings
        {
            Data = r.GetValue(this.data),
            TrainLimit = r.GetValue(trainLimit),
            TestLimit = r.GetValue(testLimit),
            Seed = r.GetValue(seed),
            Log = DataLog.Options().Log,
        }, r));
        try
        {
            return new AnalysisRun(data, TorchRuntime.ParseDevice(r.GetValue(device)!), r.GetValue(output), r.GetValue(reestimateBn));
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }
}

/// <summary>A checkpoint with its train/test splits (<see cref="EvaluationData"/>) and the three feature sources (encoder, random-init twin, raw pixels).</summary>
internal sealed class AnalysisRun : IDisposable
{
    readonly EvaluationData data;
    readonly Encoders.Encoder randomInit;
    readonly string? outDir;

    public AnalysisRun(EvaluationData data, TorchSharp.torch.Device device, string? outDir, bool reestimateBatchNorm = false)
    {
        this.data = data;
        Device = device;
        this.outDir = outDir;
        data.RequireLabels("the analysis");
        var trained = data.Trained;
        trained.Encoder.to(device);
        TrainedBatchNormReestimated = reestimateBatchNorm;
        if (reestimateBatchNorm)
        {
            Cli.Info($"trained encoder: re-estimating BatchNorm statistics on up to 10000 of {Train.Count} train images");
            BatchNormReestimation.Run(trained.Encoder, Train, trained.Stats, device, seed: Seed);
        }
        randomInit = trained.RandomInitTwin();
        randomInit.to(device);
        Cli.Info($"random init: re-estimating BatchNorm statistics on up to 10000 of {Train.Count} train images");
        Sources = MetricsFeatureSource.Standard(trained.Encoder, randomInit, Train, trained.Stats, device, seed: Seed);
    }

    public string DataName => data.DataName;
    public DatasetOptions DataOptions => data.DataOptions;
    public ImageDataset Train => data.Train;
    public ImageDataset Test => data.Test;
    public TorchSharp.torch.Device Device { get; }
    public int Seed => data.Seed;
    public IReadOnlyList<MetricsFeatureSource> Sources { get; }
    /// <summary>Whether the trained encoder's BatchNorm statistics were re-estimated on clean training images.</summary>
    public bool TrainedBatchNormReestimated { get; }

    /// <summary>Adds run metadata to <paramref name="body"/> and writes it atomically as <paramref name="fileName"/> in the run folder.</summary>
    public void Save(string fileName, JsonObject body, Stopwatch clock)
    {
        var config = data.Config;
        var result = new JsonObject
        {
            ["method"] = config.Method,
            ["encoder"] = config.Encoder,
            ["dataset"] = DataName,
            ["train_images"] = Train.Count,
            ["test_images"] = Test.Count,
            ["checkpoint"] = data.CheckpointPath,
            ["trained_batchnorm_reestimated"] = TrainedBatchNormReestimated,
        };
        foreach (var (key, value) in data.SplitFields()) result[key] = value?.DeepClone();
        foreach (var (key, value) in body) result[key] = value?.DeepClone();
        result["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        var dir = outDir ?? EvalCommand.RunFolderOf(data.CheckpointPath);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, fileName);
        File.WriteAllText(file + ".tmp", result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(file + ".tmp", file, overwrite: true);
        Console.WriteLine($"wrote {file}");
    }

    public void Dispose()
    {
        randomInit.Dispose();
        data.Dispose();
    }
}
