using System.Diagnostics;
using SelfSup.Interop;
using SelfSup.Search;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// The similar-image search benchmark: query latency of the two engines of <see cref="EmbeddingIndex.Search"/> over
/// an index of random unit vectors (the engines' cost does not depend on what the vectors mean).
/// </summary>
static class BenchSearch
{
    /// <summary>
    /// Writes an index of <paramref name="vectors"/> random vectors of <paramref name="dims"/> values, then times single-query
    /// top-10 searches, the engines alternating (their order swapped every round) with a fresh query each time:
    /// exact (index already in memory, as a long-running process holds it) and DuckDB (a new connection scanning
    /// the Parquet file per query). Also the one-off costs: writing the file, and reading it into memory with the first exact query.
    /// </summary>
    public static Dictionary<string, object> Run(int vectors, int dims, int repeats, int warmup)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"selfsup-search-{Environment.ProcessId}");
        try
        {
            using var g = new Generator(0);
            var file = Path.Combine(dir, "bench.parquet");
            var watch = Stopwatch.StartNew();
            using (var features = randn([vectors, dims], generator: g)) // [N, D]
            {
                using var _ = EmbeddingIndex.Create(file, features, null, null, new EmbeddingIndexInfo
                {
                    Checkpoint = "none",
                    Data = "random",
                    Split = "all",
                    Count = vectors,
                    Dims = dims,
                    ImageSize = 1,
                    Channels = 1,
                    Resize = "crop",
                    ImageMean = [0f],
                    ImageStd = [1f],
                });
            }
            var writeSeconds = watch.Elapsed.TotalSeconds;
            using var index = EmbeddingIndex.Open(file);
            watch.Restart();
            using (var first = randn([1, dims], generator: g)) index.Search(first, 10); // reads the file and keeps the vectors
            var loadSeconds = watch.Elapsed.TotalSeconds;
            var exact = new List<double>();
            var duck = new List<double>();
            var agree = 0;
            for (var round = 0; round < warmup + repeats; round++)
            {
                using var query = randn([1, dims], generator: g); // [1, D]
                IReadOnlyList<SearchHit>? e = null, d = null;
                foreach (var engine in round % 2 == 0 ? new[] { SearchEngine.Exact, SearchEngine.DuckDb } : [SearchEngine.DuckDb, SearchEngine.Exact])
                {
                    var clock = Stopwatch.StartNew();
                    var hits = index.Search(query, 10, engine)[0];
                    var ms = clock.Elapsed.TotalMilliseconds;
                    if (engine == SearchEngine.Exact) e = hits;
                    else d = hits;
                    if (round >= warmup) (engine == SearchEngine.Exact ? exact : duck).Add(ms);
                }
                if (round >= warmup && e!.Select(h => h.Id).SequenceEqual(d!.Select(h => h.Id))) agree++;
            }
            double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            return new()
            {
                ["vectors"] = vectors,
                ["dims"] = dims,
                ["k"] = 10,
                ["repeats"] = repeats,
                ["warmup"] = warmup,
                ["parquet_mib"] = Math.Round(new FileInfo(file).Length / 1048576.0, 1),
                ["write_index_s"] = Math.Round(writeSeconds, 2),
                ["load_index_s"] = Math.Round(loadSeconds, 2),
                ["exact_query_ms"] = Math.Round(Median(exact), 2),
                ["duckdb_query_ms"] = Math.Round(Median(duck), 1),
                ["exact_runs_ms"] = exact.Select(x => Math.Round(x, 2)).ToArray(),
                ["duckdb_runs_ms"] = duck.Select(x => Math.Round(x, 1)).ToArray(),
                ["same_top10_ids"] = $"{agree}/{repeats}",
            };
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
