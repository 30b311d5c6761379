using System.CommandLine;
using System.Diagnostics;
using SelfSup.Runs;
using SelfSup.Search;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup index`: embeds an image collection with a checkpoint's encoder into a similar-image index (a Parquet file
/// of unit-length vectors and its NAME.index.json sidecar) that `selfsup search` queries.
/// </summary>
public static class IndexCommand
{
    public static Command Create()
    {
        var cmd = new Command("index", "Embed an image collection into a similar-image index (NAME.parquet + NAME.index.json) for `selfsup search`");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset name or path (default: the pretraining data)" };
        var split = new Option<string>("--split")
        {
            Description = "split to index: all (every image of a folder or other source without a test split of its own), train or test",
            DefaultValueFactory = _ => "all",
        };
        var output = new Option<string>("--out") { Description = "the index file, NAME.parquet (its sidecar is NAME.index.json)", Required = true };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 512 };
        foreach (var o in new Option[] { checkpoint, data, split, output, device, batchSize }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            var file = r.GetValue(output)!;
            if (!file.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {file}: expected a file name ending in .parquet");
            TorchRuntime.Initialize();
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            using var opened = EvaluationData.Open(path, dataFlags.Apply(new EvalDataSettings
            {
                Data = r.GetValue(data),
                Log = DataLog.Options().Log,
            }, r));
            var splitName = r.GetValue(split)!;
            using var embedded = SplitEmbedding.Compute(opened, splitName, TorchRuntime.ParseDevice(r.GetValue(device)!), r.GetValue(batchSize));
            var options = opened.DataOptions;
            var info = new EmbeddingIndexInfo
            {
                Checkpoint = opened.CheckpointPath,
                Data = File.Exists(opened.DataName) || Directory.Exists(opened.DataName) ? Path.GetFullPath(opened.DataName) : opened.DataName,
                Split = splitName,
                Count = (int)embedded.Features.shape[0],
                Dims = (int)embedded.Features.shape[1],
                ImageSize = opened.Config.ImageSize,
                Channels = opened.Config.Channels,
                Resize = options.Resize.ToString().ToLowerInvariant(),
                Window = options.Window?.ToString(),
                ImageMean = opened.Stats.Mean,
                ImageStd = opened.Stats.Std,
                ClassNames = embedded.ClassNames.Count > 0 ? [.. embedded.ClassNames] : null,
                Method = opened.Config.Method,
                Encoder = opened.Config.Encoder,
            };
            using var index = EmbeddingIndex.Create(file, embedded.Features, embedded.Labels, embedded.Paths, info);
            Console.WriteLine($"wrote {index.ParquetPath} ({info.Count} vectors of {info.Dims}, unit length) and {EmbeddingIndex.SidecarPath(index.ParquetPath)} in {clock.Elapsed.TotalSeconds:F1} s"
                + (embedded.Paths is null ? "; no file paths (the split is not a whole image folder): search shows row ids" : ""));
            return 0;
        }));
        return cmd;
    }
}
