using System.CommandLine;
using SelfSup.Interop;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup embed`: a checkpoint's embeddings of one split, as .npy files that numpy loads directly or as one Parquet
/// table (id, label, path, vector) that DuckDB, pandas and Arrow read.
/// </summary>
public static class EmbedCommand
{
    static readonly string[] Formats = ["npy", "parquet"];

    public static Command Create()
    {
        var cmd = new Command("embed", "Write a split's embeddings (float32 [N, D]) with labels and row ids: .npy files, or one Parquet table");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset name or path (default: the pretraining data)" };
        var split = new Option<string>("--split") { Description = "split to embed (train, test, or all: every row of a source without a test split of its own; for a text checkpoint, the run's training or held-out documents, or the whole corpus)", DefaultValueFactory = _ => "test" };
        var output = new Option<string>("--out")
        {
            Description = "x.npy (labels go to x.labels.npy, row ids to x.ids.npy) or x.parquet (columns id, label, path, vector)",
            Required = true,
        };
        var format = new Option<string?>("--format") { Description = "npy or parquet (default: from the --out extension)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 512 };
        foreach (var o in new Option[] { checkpoint, data, split, output, format, device, batchSize }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var file = r.GetValue(output)!;
            var kind = FormatOf(file, r.GetValue(format));
            TorchRuntime.Initialize();
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            var on = TorchRuntime.ParseDevice(r.GetValue(device)!);
            using var embedded = TrainedTextEncoder.IsText(path)
                ? TextSplitEmbedding.Compute(path, r.GetValue(data), r.GetValue(split)!, on, r.GetValue(batchSize))
                : ImageSplit();
            SplitEmbedding ImageSplit()
            {
                using var opened = EvaluationData.Open(path, dataFlags.Apply(new EvalDataSettings
                {
                    Data = r.GetValue(data),
                    Log = DataLog.Options().Log,
                }, r));
                return SplitEmbedding.Compute(opened, r.GetValue(split)!, on, r.GetValue(batchSize));
            }
            var features = embedded.Features; // [N, D]
            var (n, d) = (features.shape[0], features.shape[1]);
            if (kind == "parquet")
            {
                var table = EmbeddingTable.OfSplit(features.contiguous().data<float>().ToArray(), (int)d, embedded.Labels, embedded.Paths);
                ParquetEmbeddings.Write(file, table);
                Console.WriteLine($"wrote {file}: {n} rows (id, label, path, vector float32[{d}])"
                    + (embedded.Labels is null ? "; the split has no labels" : "")
                    + (embedded.Paths is null ? "; no file paths (the split is not a whole image folder)" : ""));
                return 0;
            }
            var stem = file[..^4];
            NpyWriter.WriteTensor(file, features);
            var ids = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
            NpyWriter.WriteInt64(stem + ".ids.npy", ids, [ids.Length]);
            if (embedded.Labels is { } labels) NpyWriter.WriteInt64(stem + ".labels.npy", labels, [labels.Length]);
            Console.WriteLine($"wrote {file} [{n}, {d}] float32, {stem}.ids.npy"
                + (embedded.Labels is null ? " (the split has no labels)" : $", {stem}.labels.npy"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>"npy" or "parquet": the --format flag when given, else the extension; npy files must end in .npy (their companions are named from it).</summary>
    internal static string FormatOf(string file, string? format)
    {
        var extension = Path.GetExtension(file).TrimStart('.').ToLowerInvariant();
        if (format is not null && !Formats.Contains(format))
            throw new ArgumentException($"--format {format}: expected {string.Join(" or ", Formats)}");
        var kind = format ?? extension;
        if (!Formats.Contains(kind))
            throw new ArgumentException($"--out {file}: expected a file name ending in .npy or .parquet, or --format npy|parquet");
        if (kind == "npy" && extension != "npy")
            throw new ArgumentException($"--out {file}: the npy format writes x.npy beside x.ids.npy and x.labels.npy; expected a file name ending in .npy");
        return kind;
    }
}
