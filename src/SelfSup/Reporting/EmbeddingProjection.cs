using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Numerics;
using SelfSup.Reporting.Plots;
using SelfSup.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting;

/// <summary>
/// How embeddings are laid out in 2-D. UMAP is not offered: a faithful one (fuzzy simplicial sets, spectral
/// initialisation, negative-sampling SGD) is a project of its own; PCA is the linear, deterministic alternative.
/// </summary>
public enum ProjectionMethod
{
    /// <summary>Exact t-SNE (<see cref="Tsne"/>): local neighbourhoods, cluster sizes and gaps are not to scale.</summary>
    Tsne,
    /// <summary>First two principal components: distances along them are faithful, but classes overlap more.</summary>
    Pca,
}

/// <summary>Settings of <see cref="EmbeddingProjection.Run"/>.</summary>
public sealed record ProjectionSettings
{
    /// <summary>Dataset (default: the checkpoint's pretraining data) and the hold-out for datasets without a test split.</summary>
    public EvalDataSettings Data { get; init; } = new();
    /// <summary>Split whose images are drawn.</summary>
    public string Split { get; init; } = "test";
    /// <summary>A seeded random subset of this many images is projected (exact t-SNE is O(N²)).</summary>
    public int Points { get; init; } = 2000;
    public ProjectionMethod Method { get; init; } = ProjectionMethod.Tsne;
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 1000;
    /// <summary>Neighbours used by the quality numbers (k-NN preservation, trustworthiness, layout k-NN accuracy).</summary>
    public int K { get; init; } = 10;
    /// <summary>Queries in the nearest-neighbour picture (0: no picture) and retrievals shown per query.</summary>
    public int Queries { get; init; } = 8;
    public int Retrievals { get; init; } = 8;
    /// <summary>Training images used to re-estimate the random-init twin's BatchNorm statistics.</summary>
    public int BatchNormImages { get; init; } = 10_000;
    public long Seed { get; init; }
    public string Device { get; init; } = "cpu";
    public IProgress<string>? Log { get; init; }
}

/// <summary>Quality numbers of one 2-D layout, each against the encoder's own embedding space.</summary>
public sealed record LayoutScores(
    [property: JsonPropertyName("knn_preservation")] double KnnPreservation,
    [property: JsonPropertyName("trustworthiness")] double Trustworthiness,
    [property: JsonPropertyName("layout_knn_accuracy")] double LayoutKnnAccuracy);

/// <summary>What <c>{method}.json</c> holds: settings, quality numbers for SSL and random init, and the files written.</summary>
public sealed record ProjectionSummary
{
    [JsonPropertyName("projection")] public required string Projection { get; init; }
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("split")] public required string Split { get; init; }
    /// <summary>"given" when the dataset has its own test split, else the hold-out that made it ("held_out_20pct_seed_0").</summary>
    [JsonPropertyName("test_split")] public string? TestSplit { get; init; }
    /// <summary>Where a given test split that is not the dataset's own comes from (<c>--test-data</c>); null otherwise.</summary>
    [JsonPropertyName("test_split_source")] public string? TestSplitSource { get; init; }
    [JsonPropertyName("points")] public int Points { get; init; }
    [JsonPropertyName("perplexity")] public double? Perplexity { get; init; }
    [JsonPropertyName("k")] public int K { get; init; }
    [JsonPropertyName("ssl")] public required LayoutScores Ssl { get; init; }
    [JsonPropertyName("random_init")] public required LayoutScores RandomInit { get; init; }
    [JsonPropertyName("files")] public required IReadOnlyList<string> Files { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
}

/// <summary>
/// Pictures of a checkpoint's embedding space beside a random-init twin of the same architecture (BatchNorm statistics
/// re-estimated on training images): 2-D layouts coloured by class, their coordinates, quality numbers, and
/// nearest-neighbour retrievals.
/// </summary>
public static class EmbeddingProjection
{
    /// <summary>
    /// Writes into <paramref name="outDir"/>: <c>{m}_ssl.png</c>, <c>{m}_random_init.png</c>, <c>{m}_side_by_side.png</c>,
    /// <c>{m}_coords.csv</c>, <c>{m}.json</c> (m = tsne or pca) and <c>neighbours_ssl.png</c>, <c>neighbours_random_init.png</c>.
    /// </summary>
    public static ProjectionSummary Run(string checkpointPath, string outDir, ProjectionSettings settings)
    {
        if (settings.Points < 2 * settings.K + 2) throw new ArgumentException($"--points must be at least {2 * settings.K + 2} for k = {settings.K}, got {settings.Points}");
        var clock = Stopwatch.StartNew();
        var device = TorchRuntime.ParseDevice(settings.Device);
        using var data = EvaluationData.Open(checkpointPath, settings.Data);
        var (trained, config, dataName) = (data.Trained, data.Config, data.DataName);
        var split = data.Split(settings.Split);
        if (!split.HasLabels) throw new ArgumentException($"{dataName} ({settings.Split}): pictures are coloured by label, but the split has no labels");
        using var images = split.Subset(Pretraining.LimitRows(split.Count, settings.Points, (int)settings.Seed));

        trained.Encoder.to(device);
        using var randomInit = trained.RandomInitTwin();
        randomInit.to(device);
        settings.Log?.Report($"re-estimating the random-init encoder's BatchNorm statistics on {Math.Min(data.Train.Count, settings.BatchNormImages)} training images");
        BatchNormReestimation.Run(randomInit, data.Train, trained.Stats, device, settings.BatchNormImages, seed: (int)settings.Seed);

        var prefix = settings.Method == ProjectionMethod.Tsne ? "tsne" : "pca";
        var name = settings.Method == ProjectionMethod.Tsne ? "t-SNE" : "PCA";
        var labels = images.Labels!;
        Directory.CreateDirectory(outDir);
        var files = new List<string>();
        var layouts = new List<(Tensor Layout, string Title)>();
        var scores = new List<LayoutScores>();
        try
        {
            foreach (var (encoder, key, title) in new[] { (trained.Encoder, "ssl", $"{config.Method}"), (randomInit, "random_init", "random init") })
            {
                using var features = Features.Extract(encoder, images, trained.Stats, device); // [N, D], CPU
                settings.Log?.Report($"{name} of {images.Count} {key} embeddings ({features.shape[1]}-d)");
                var layout = Project(features.to(device), settings).cpu(); // [N, 2]
                layouts.Add((layout, $"{name}, {title}: {dataName} {settings.Split} ({images.Count} images)"));
                scores.Add(Score(features, layout, labels, settings.K));
                files.Add(Write($"{prefix}_{key}.png", outDir, p => EmbeddingScatter.Save(p, layout, labels, images.ClassNames, layouts[^1].Title)));
                if (settings.Queries > 0)
                {
                    var queries = Enumerable.Range(0, Math.Min(settings.Queries, images.Count)).Select(i => (long)i).ToArray();
                    using var q = features.narrow(0, 0, queries.Length);
                    var neighbours = NeighbourGrid.CosineNeighbours(q, features, settings.Retrievals, excludeSelf: true);
                    files.Add(Write($"neighbours_{key}.png", outDir, p => NeighbourGrid.Save(p, images, queries, images, neighbours)));
                }
            }
            files.Add(Write($"{prefix}_side_by_side.png", outDir, p => EmbeddingScatter.SaveSideBySide(p, layouts, labels, images.ClassNames)));
            files.Add(Write($"{prefix}_coords.csv", outDir, p => File.WriteAllText(p, Coordinates(layouts[0].Layout, layouts[1].Layout, labels, images.ClassNames))));
        }
        finally
        {
            foreach (var (layout, _) in layouts) layout.Dispose();
        }
        var summary = new ProjectionSummary
        {
            Projection = prefix,
            Dataset = dataName,
            Split = settings.Split,
            TestSplit = data.TestSplit.Key,
            TestSplitSource = data.TestSplit.TestSource,
            Points = images.Count,
            Perplexity = settings.Method == ProjectionMethod.Tsne ? settings.Perplexity : null,
            K = settings.K,
            Ssl = scores[0],
            RandomInit = scores[1],
            Files = files,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Checkpoint = Path.GetFullPath(checkpointPath),
        };
        File.WriteAllText(Path.Combine(outDir, $"{prefix}.json"), summary.ToJson());
        return summary;
    }

    /// <summary>The 2-D layout of <paramref name="features"/> [N, D] by the configured method, float32 [N, 2].</summary>
    public static Tensor Project(Tensor features, ProjectionSettings settings) => settings.Method switch
    {
        ProjectionMethod.Tsne => Tsne.Embed(features, new TsneOptions
        {
            Perplexity = settings.Perplexity,
            Iterations = settings.Iterations,
            Seed = settings.Seed,
        }, settings.Log),
        _ => PcaProjection.Project(features, 2).to(ScalarType.Float32),
    };

    static LayoutScores Score(Tensor features, Tensor layout, long[] labels, int k) => new(
        Math.Round(ProjectionQuality.KnnPreservation(features, layout, k), 4),
        Math.Round(ProjectionQuality.Trustworthiness(features, layout, k), 4),
        Math.Round(ProjectionQuality.LayoutKnnAccuracy(layout, labels, k), 2));

    static string Write(string file, string outDir, Action<string> write)
    {
        write(Path.Combine(outDir, file));
        return file;
    }

    /// <summary>CSV rows: index in the subset, label, class name, then x, y of each layout.</summary>
    static string Coordinates(Tensor ssl, Tensor random, long[] labels, IReadOnlyList<string> classNames)
    {
        var a = ssl.contiguous().data<float>().ToArray();
        var b = random.contiguous().data<float>().ToArray();
        var csv = new StringBuilder("index,label,class,ssl_x,ssl_y,random_init_x,random_init_y\n");
        for (var i = 0; i < labels.Length; i++)
        {
            var cls = labels[i] < classNames.Count ? classNames[(int)labels[i]] : "";
            csv.Append(CultureInfo.InvariantCulture, $"{i},{labels[i]},\"{cls.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{a[2 * i]:R},{a[2 * i + 1]:R},{b[2 * i]:R},{b[2 * i + 1]:R}\n");
        }
        return csv.ToString();
    }
}
