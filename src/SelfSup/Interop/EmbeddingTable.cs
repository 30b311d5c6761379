namespace SelfSup.Interop;

/// <summary>
/// Embeddings with their rows: <see cref="Vectors"/> holds <see cref="Count"/> vectors of <see cref="Dims"/> float32
/// values one after another (row-major [N, D]); row r is image <see cref="Ids"/>[r] of its split, labelled
/// <see cref="Labels"/>[r] (null: unlabeled) and read from <see cref="Paths"/>[r] (null: the dataset has no files).
/// </summary>
public sealed record EmbeddingTable
{
    public EmbeddingTable(float[] vectors, int dims, long[] ids, int?[] labels, string?[] paths)
    {
        if (dims <= 0) throw new ArgumentException($"embeddings: dims must be positive, got {dims}");
        if (vectors.Length % dims != 0)
            throw new ArgumentException($"embeddings: {vectors.Length} values are not a whole number of {dims}-dimensional vectors");
        var n = vectors.Length / dims;
        if (ids.Length != n || labels.Length != n || paths.Length != n)
            throw new ArgumentException($"embeddings: {n} vectors but {ids.Length} ids, {labels.Length} labels and {paths.Length} paths; expected one each per vector");
        Vectors = vectors;
        Dims = dims;
        Ids = ids;
        Labels = labels;
        Paths = paths;
    }

    /// <summary>float32 [N, D], row-major.</summary>
    public float[] Vectors { get; }
    public int Dims { get; }
    public long[] Ids { get; }
    public int?[] Labels { get; }
    public string?[] Paths { get; }
    public int Count => Ids.Length;

    /// <summary>Vector of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Vector(int row) => Vectors.AsSpan(row * Dims, Dims);

    /// <summary>
    /// Rows 0 … N − 1 of a split: ids are the row indices, labels the split's (null when it has none), paths the files the
    /// rows were decoded from (null when unknown).
    /// </summary>
    public static EmbeddingTable OfSplit(float[] vectors, int dims, long[]? labels, IReadOnlyList<string>? paths)
    {
        var n = vectors.Length / Math.Max(dims, 1);
        if (labels is not null && labels.Length != n)
            throw new ArgumentException($"embeddings: {n} vectors but {labels.Length} labels");
        if (paths is not null && paths.Count != n)
            throw new ArgumentException($"embeddings: {n} vectors but {paths.Count} paths");
        return new EmbeddingTable(vectors, dims,
            Enumerable.Range(0, n).Select(i => (long)i).ToArray(),
            labels is null ? new int?[n] : labels.Select(l => (int?)checked((int)l)).ToArray(),
            paths is null ? new string?[n] : paths.ToArray());
    }
}
