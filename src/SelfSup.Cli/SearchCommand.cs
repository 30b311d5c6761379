using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Reporting.Plots;
using SelfSup.Runs;
using SelfSup.Search;
using Spectre.Console;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup search`: the images of an index (`selfsup index`) most similar to query images, by cosine similarity of
/// the index checkpoint's embeddings; a table, JSON (`--json`) and a picture (`--grid`).
/// </summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var cmd = new Command("search", "Find the indexed images most similar to query images (cosine similarity of embeddings)");
        var indexPath = new Option<string>("--index") { Description = "an index from `selfsup index`: NAME.parquet (or its NAME.index.json)", Required = true };
        var queries = new Option<string[]>("--query")
        {
            Description = "query image(s), PNG or JPEG; resized and converted to the index's size and channels as image folders are",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var k = new Option<int>("-k", "--k") { Description = "neighbours per query", DefaultValueFactory = _ => 10 };
        var engine = new Option<string>("--engine")
        {
            Description = "exact (in process, the index in memory) or duckdb (DuckDB scans the Parquet file; for indexes beyond memory)",
            DefaultValueFactory = _ => "exact",
        };
        var json = new Option<bool>("--json") { Description = "print the results as JSON instead of a table" };
        var grid = new Option<string?>("--grid") { Description = "also write a picture: each query, then its neighbours with their scores (PNG)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        foreach (var o in new Option[] { indexPath, queries, k, engine, json, grid, device }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var which = r.GetValue(engine) switch
            {
                "exact" => SearchEngine.Exact,
                "duckdb" => SearchEngine.DuckDb,
                var v => throw new ArgumentException($"--engine: expected exact or duckdb, got '{v}'"),
            };
            var count = r.GetValue(k);
            if (count < 1) throw new ArgumentException($"-k: expected at least 1, got {count}");
            TorchRuntime.Initialize();
            using var index = EmbeddingIndex.Open(r.GetValue(indexPath)!);
            var info = index.Info;
            if (!File.Exists(info.Checkpoint))
                throw new FileNotFoundException($"{EmbeddingIndex.SidecarPath(index.ParquetPath)}: checkpoint {info.Checkpoint} not found; queries must be embedded by the checkpoint that built the index", info.Checkpoint);
            using var opened = EvaluationData.Open(info.Checkpoint, new EvalDataSettings { Data = info.Data, Log = DataLog.Options().Log });
            var files = r.GetValue(queries)!;
            var window = IntensityWindow.Parse(info.Window, "window");
            var resize = ResizeModes.Parse(info.Resize, "resize");
            using var scope = NewDisposeScope();
            var images = cat(files.Select(f => QueryImage.Load(f, info.ImageSize, info.Channels, resize, window)).ToList(), 0); // [Q, C, S, S]
            var source = MetricsFeatureSource.FromEncoder("encoder", opened.Trained.Encoder, opened.Trained.Stats, TorchRuntime.ParseDevice(r.GetValue(device)!));
            var embedded = source.Embed(images); // [Q, D]
            var clock = Stopwatch.StartNew();
            var hits = index.Search(embedded, count, which);
            var seconds = clock.Elapsed.TotalSeconds;
            if (r.GetValue(json)) Console.WriteLine(Json(index, which, count, files, hits).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                for (var q = 0; q < files.Length; q++) AnsiConsole.Write(Table(files[q], hits[q], info));
                Cli.Info($"{info.Count} indexed images, {which.ToString().ToLowerInvariant()} search in {seconds * 1000:F0} ms");
            }
            if (r.GetValue(grid) is { } picture)
            {
                WriteGrid(picture, opened, index, images, hits);
                if (!r.GetValue(json)) Cli.Info($"wrote {picture}");
            }
            return 0;
        }));
        return cmd;
    }

    static string LabelText(int? label, EmbeddingIndexInfo info) =>
        label is not { } l ? "" : info.ClassNames is { } names && l >= 0 && l < names.Length ? names[l] : l.ToString(CultureInfo.InvariantCulture);

    static Table Table(string query, IReadOnlyList<SearchHit> hits, EmbeddingIndexInfo info)
    {
        var table = new Table().Title(Markup.Escape($"nearest to {query}")).AddColumns("rank", "cosine", "label", "id", "path");
        for (var j = 0; j < hits.Count; j++)
        {
            var h = hits[j];
            table.AddRow((j + 1).ToString(CultureInfo.InvariantCulture), h.Score.ToString("F4", CultureInfo.InvariantCulture),
                Markup.Escape(LabelText(h.Label, info)), h.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(h.Path ?? ""));
        }
        return table;
    }

    static JsonObject Json(EmbeddingIndex index, SearchEngine engine, int k, string[] files, IReadOnlyList<SearchHit>[] hits) => new()
    {
        ["index"] = index.ParquetPath,
        ["checkpoint"] = index.Info.Checkpoint,
        ["engine"] = engine.ToString().ToLowerInvariant(),
        ["similarity"] = "cosine",
        ["k"] = k,
        ["queries"] = new JsonArray(files.Select((f, q) => (JsonNode)new JsonObject
        {
            ["query"] = Path.GetFullPath(f),
            ["neighbours"] = new JsonArray(hits[q].Select((h, j) => (JsonNode)new JsonObject
            {
                ["rank"] = j + 1,
                ["id"] = h.Id,
                ["label"] = h.Label,
                ["class"] = h.Label is null ? null : LabelText(h.Label, index.Info),
                ["path"] = h.Path,
                ["score"] = Math.Round(h.Score, 6),
            }).ToArray()),
        }).ToArray()),
    };

    /// <summary>
    /// Queries and neighbours as a picture. Neighbours are decoded from their files when the index has them, else taken
    /// from the indexed split, loaded again as the index was built.
    /// </summary>
    static void WriteGrid(string path, EvaluationData opened, EmbeddingIndex index, Tensor queries, IReadOnlyList<SearchHit>[] hits)
    {
        var info = index.Info;
        ImageDataset? split = null;
        if (hits.Any(h => h.Any(x => x.Path is null)))
        {
            split = opened.Split(info.Split);
            if (split.Count != info.Count)
                throw new InvalidDataException($"{info.Data} split '{info.Split}' has {split.Count} images now; the index has {info.Count}: build it again");
        }
        var window = IntensityWindow.Parse(info.Window, "window");
        var resize = ResizeModes.Parse(info.Resize, "resize");
        Tensor Image(SearchHit h) => h.Path is { } file
            ? QueryImage.Load(file, info.ImageSize, info.Channels, resize, window)[0]
            : split!.Range(h.Id, 1)[0];
        var rows = hits.Select((h, q) => (
            new SearchGridCell(queries[q], "query"),
            (IReadOnlyList<SearchGridCell>)h.Select(x => new SearchGridCell(Image(x),
                $"{x.Score:F3} {LabelText(x.Label, info)}".Trim())).ToList())).ToList();
        SearchGrid.Save(path, rows);
    }
}
