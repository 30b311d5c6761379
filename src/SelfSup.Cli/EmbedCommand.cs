using System.CommandLine;
using SelfSup.Evaluation;
using SelfSup.Interop;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>`selfsup embed`: a checkpoint's embeddings of one split as .npy files that numpy loads directly.</summary>
public static class EmbedCommand
{
    public static Command Create()
    {
        var cmd = new Command("embed", "Write a split's embeddings (float32 [N, D]), labels and row ids as .npy files");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset name or path (default: the pretraining data)" };
        var split = new Option<string>("--split") { Description = "split to embed", DefaultValueFactory = _ => "test" };
        var output = new Option<string>("--out") { Description = "embeddings file (x.npy); labels go to x.labels.npy, row ids to x.ids.npy", Required = true };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 512 };
        foreach (var o in new Option[] { checkpoint, data, split, output, device, batchSize }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var file = r.GetValue(output)!;
            if (!file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {file}: expected a file name ending in .npy");
            TorchRuntime.Initialize();
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            using var opened = EvaluationData.Open(path, dataFlags.Apply(new EvalDataSettings
            {
                Data = r.GetValue(data),
                Log = DataLog.Options().Log,
            }, r));
            var trained = opened.Trained;
            var images = opened.Split(r.GetValue(split)!);
            var source = MetricsFeatureSource.FromEncoder("encoder", trained.Encoder, trained.Stats, TorchRuntime.ParseDevice(r.GetValue(device)!));
            using var features = source.Extract(images, r.GetValue(batchSize)); // [N, D]
            var stem = file[..^4];
            NpyWriter.WriteTensor(file, features);
            var ids = Enumerable.Range(0, images.Count).Select(i => (long)i).ToArray();
            NpyWriter.WriteInt64(stem + ".ids.npy", ids, [ids.Length]);
            if (images.Labels is { } labels) NpyWriter.WriteInt64(stem + ".labels.npy", labels, [labels.Length]);
            Console.WriteLine($"wrote {file} [{features.shape[0]}, {features.shape[1]}] float32, {stem}.ids.npy"
                + (images.Labels is null ? " (the split has no labels)" : $", {stem}.labels.npy"));
            return 0;
        }));
        return cmd;
    }
}
