using System.CommandLine;
using System.Globalization;
using SelfSup.Reporting;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>`selfsup eval project`: 2-D pictures (t-SNE or PCA) of a checkpoint's embeddings beside its random-init twin.</summary>
public static class ProjectCommand
{
    public static Command Create()
    {
        var cmd = new Command("project",
            "Draw 2-D maps of test embeddings, SSL vs random init (BatchNorm re-estimated), coloured by class, with " +
            "k-NN preservation and trustworthiness; plus nearest-neighbour retrieval grids. Methods: exact t-SNE, or " +
            "PCA as the linear alternative (UMAP is not implemented)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "labeled dataset (default: the pretraining data)" };
        var split = new Option<string>("--split") { Description = "split to draw", DefaultValueFactory = _ => "test" };
        var points = new Option<int>("--points") { Description = "seeded random subset of this many images (t-SNE is O(N²))", DefaultValueFactory = _ => 2000 };
        var method = new Option<string>("--method") { Description = "tsne or pca", DefaultValueFactory = _ => "tsne" };
        var perplexity = new Option<double>("--perplexity") { Description = "t-SNE perplexity", DefaultValueFactory = _ => 30 };
        var iterations = new Option<int>("--iterations") { Description = "t-SNE iterations (250 of them with early exaggeration)", DefaultValueFactory = _ => 1000 };
        var k = new Option<int>("--k") { Description = "neighbours for k-NN preservation and trustworthiness", DefaultValueFactory = _ => 10 };
        var queries = new Option<int>("--queries") { Description = "queries in the nearest-neighbour grids (0: none)", DefaultValueFactory = _ => 8 };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "output folder (default: the checkpoint's run folder)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        foreach (var o in new Option[] { checkpoint, data, split, points, method, perplexity, iterations, k, queries, seed, output, device }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            var kind = r.GetValue(method)!.ToLowerInvariant() switch
            {
                "tsne" or "t-sne" => ProjectionMethod.Tsne,
                "pca" => ProjectionMethod.Pca,
                var other => throw new ArgumentException($"--method: unknown projection '{other}'; expected tsne or pca"),
            };
            var outDir = r.GetValue(output) ?? EvalCommand.RunFolderOf(path);
            TorchRuntime.Initialize();
            var summary = EmbeddingProjection.Run(path, outDir, new ProjectionSettings
            {
                Data = dataFlags.Apply(new EvalDataSettings { Data = r.GetValue(data), Log = DataLog.Options().Log }, r),
                Split = r.GetValue(split)!,
                Points = r.GetValue(points),
                Method = kind,
                Perplexity = r.GetValue(perplexity),
                Iterations = r.GetValue(iterations),
                K = r.GetValue(k),
                Queries = r.GetValue(queries),
                Seed = r.GetValue(seed),
                Device = r.GetValue(device)!,
                Log = DataLog.Options().Log,
            });
            foreach (var (label, s) in new[] { ("ssl", summary.Ssl), ("random init", summary.RandomInit) })
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{label,-12} k-NN preservation (k = {summary.K}) {s.KnnPreservation:F4}  trustworthiness {s.Trustworthiness:F4}  layout k-NN accuracy {s.LayoutKnnAccuracy:F2} %"));
            Console.WriteLine($"wrote {string.Join(", ", summary.Files.Append($"{summary.Projection}.json"))} in {outDir} ({summary.Seconds} s)");
            return 0;
        }));
        return cmd;
    }
}
