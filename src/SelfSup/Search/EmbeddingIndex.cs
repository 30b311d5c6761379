using System.Text.Json;
using System.Text.Json.Serialization;
using SelfSup.Interop;
using static TorchSharp.torch;

namespace SelfSup.Search;

/// <summary>What an index was built from, kept beside its Parquet file as <c>NAME.index.json</c>.</summary>
public sealed record EmbeddingIndexInfo
{
    /// <summary>Version of this layout.</summary>
    public string Format { get; init; } = "selfsup-embedding-index/1";
    /// <summary>Full path of the checkpoint whose encoder made the vectors; queries must be embedded by it.</summary>
    public required string Checkpoint { get; init; }
    /// <summary>Dataset name or path, and the split that was indexed.</summary>
    public required string Data { get; init; }
    public required string Split { get; init; }
    public required int Count { get; init; }
    public required int Dims { get; init; }
    /// <summary>How the stored vectors are normalised: "l2" (unit length, so cosine similarity is a dot product).</summary>
    public string VectorNormalisation { get; init; } = "l2";
    /// <summary>How images were decoded for the encoder: square side, channels, resize mode, 16-bit window (null: each image's own range).</summary>
    public required int ImageSize { get; init; }
    public required int Channels { get; init; }
    public required string Resize { get; init; }
    public string? Window { get; init; }
    /// <summary>The per-channel mean and standard deviation the encoder's input was normalised by.</summary>
    public required float[] ImageMean { get; init; }
    public required float[] ImageStd { get; init; }
    /// <summary>Names of the labels 0, 1, … of the indexed split (null: it has no labels).</summary>
    public string[]? ClassNames { get; init; }
    /// <summary>The checkpoint's method and encoder names, for people reading the file.</summary>
    public string? Method { get; init; }
    public string? Encoder { get; init; }
}

/// <summary>
/// A similar-image index: L2-normalised embeddings of an image collection in a Parquet file
/// (<see cref="ParquetEmbeddings"/>: id, label, path, vector) and its <see cref="EmbeddingIndexInfo"/> sidecar.
/// <see cref="Search"/> returns the nearest rows by cosine similarity, exactly in process or through DuckDB. The exact
/// engine reads the vectors into memory once and keeps them until the index is disposed.
/// </summary>
public sealed class EmbeddingIndex : IDisposable
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    EmbeddingTable? table;
    Tensor? gallery; // [N, D], the exact engine's copy of the vectors

    EmbeddingIndex(string parquetPath, EmbeddingIndexInfo info)
    {
        ParquetPath = parquetPath;
        Info = info;
    }

    /// <summary>Full path of the Parquet file.</summary>
    public string ParquetPath { get; }
    public EmbeddingIndexInfo Info { get; }

    /// <summary>The sidecar of <paramref name="parquetPath"/>: x.parquet → x.index.json.</summary>
    public static string SidecarPath(string parquetPath) => Path.ChangeExtension(Path.GetFullPath(parquetPath), ".index.json");

    /// <summary>
    /// Writes the index of <paramref name="features"/> [N, D] (normalised here to unit length) with the split's labels
    /// and files (null when it has none) to <paramref name="parquetPath"/> and its sidecar.
    /// </summary>
    public static EmbeddingIndex Create(string parquetPath, Tensor features, long[]? labels, IReadOnlyList<string>? paths, EmbeddingIndexInfo info)
    {
        if (!parquetPath.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--out {parquetPath}: expected a file name ending in .parquet (the index; its sidecar is NAME.index.json)");
        if (features.dim() != 2 || features.shape[0] != info.Count || features.shape[1] != info.Dims)
            throw new ArgumentException($"index features [{string.Join(", ", features.shape)}]: expected [{info.Count}, {info.Dims}]");
        float[] vectors;
        using (var unit = nn.functional.normalize(features.to(ScalarType.Float32), dim: 1).cpu().contiguous()) // [N, D]
            vectors = unit.data<float>().ToArray();
        var full = Path.GetFullPath(parquetPath);
        var table = EmbeddingTable.OfSplit(vectors, info.Dims, labels, paths);
        ParquetEmbeddings.Write(full, table, new Dictionary<string, string> { ["selfsup.index"] = JsonSerializer.Serialize(info, Json) });
        File.WriteAllText(SidecarPath(full), JsonSerializer.Serialize(info, Json) + "\n");
        return new EmbeddingIndex(full, info) { table = table };
    }

    /// <summary>Opens an index by its Parquet file or its sidecar.</summary>
    public static EmbeddingIndex Open(string path)
    {
        var parquet = path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFullPath(path)[..^".index.json".Length] + ".parquet"
            : Path.GetFullPath(path);
        if (!File.Exists(parquet)) throw new FileNotFoundException($"--index {path}: no index file {parquet}", parquet);
        var sidecar = SidecarPath(parquet);
        if (!File.Exists(sidecar)) throw new FileNotFoundException($"--index {path}: no sidecar {sidecar} beside it; build the index with `selfsup index`", sidecar);
        var info = JsonSerializer.Deserialize<EmbeddingIndexInfo>(File.ReadAllText(sidecar), Json)
            ?? throw new InvalidDataException($"{sidecar}: empty index description");
        if (info.VectorNormalisation != "l2")
            throw new InvalidDataException($"{sidecar}: vector_normalisation '{info.VectorNormalisation}'; expected 'l2'");
        return new EmbeddingIndex(parquet, info);
    }

    /// <summary>The stored rows, read on first use (the <see cref="SearchEngine.Exact"/> engine holds them in memory).</summary>
    public EmbeddingTable Table => table ??= Checked(ParquetEmbeddings.Read(ParquetPath));

    /// <summary>The <paramref name="k"/> nearest rows of each query [Q, D] by cosine similarity, best first.</summary>
    public IReadOnlyList<SearchHit>[] Search(Tensor queries, int k, SearchEngine engine = SearchEngine.Exact, int chunkRows = ExactCosineSearch.DefaultChunkRows)
    {
        if (queries.dim() != 2 || queries.shape[1] != Info.Dims)
            throw new ArgumentException($"queries [{string.Join(", ", queries.shape)}]: expected [Q, {Info.Dims}] (the index's dims)");
        if (engine == SearchEngine.DuckDb)
        {
            using var cpu = queries.to(ScalarType.Float32).cpu().contiguous();
            var flat = cpu.data<float>().ToArray();
            var list = Enumerable.Range(0, (int)cpu.shape[0]).Select(r => flat.AsSpan(r * Info.Dims, Info.Dims).ToArray()).ToList();
            return DuckDbCosineSearch.TopK(ParquetPath, Info.Dims, list, k);
        }
        var t = Table;
        gallery ??= tensor(t.Vectors, [t.Count, t.Dims]); // [N, D]
        var (scores, rows) = ExactCosineSearch.TopK(queries, gallery, k, chunkRows, galleryIsUnit: true);
        return scores.Select((s, q) => (IReadOnlyList<SearchHit>)s.Select((score, j) =>
        {
            var row = (int)rows[q][j];
            return new SearchHit(t.Ids[row], t.Labels[row], t.Paths[row], score);
        }).ToList()).ToArray();
    }

    public void Dispose()
    {
        gallery?.Dispose();
        gallery = null;
    }

    EmbeddingTable Checked(EmbeddingTable read) =>
        read.Count == Info.Count && read.Dims == Info.Dims
            ? read
            : throw new InvalidDataException($"{ParquetPath}: {read.Count} vectors of {read.Dims} values; its sidecar says {Info.Count} of {Info.Dims}");
}
