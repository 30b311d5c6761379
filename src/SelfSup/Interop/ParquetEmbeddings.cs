using Parquet;
using Parquet.Schema;

namespace SelfSup.Interop;

/// <summary>
/// Embeddings as an Apache Parquet file (Parquet.Net), one row per image: <c>id</c> int64 (row index in its split),
/// <c>label</c> int32 (null: unlabeled), <c>path</c> UTF-8 string (null: the dataset has no files) and <c>vector</c>, a
/// standard three-level LIST of non-null float32. Arrow, pandas and DuckDB read the vector as a list (DuckDB:
/// <c>FLOAT[]</c>; <c>vector::FLOAT[D]</c> makes the fixed-size array its <c>array_*</c> functions take). Rows keep
/// their order; the file is written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public static class ParquetEmbeddings
{
    /// <summary>Rows per row group: about 8 MiB of vectors at D = 128.</summary>
    const int RowGroupRows = 16_384;

    static readonly DataField<long> IdField = new("id");
    static readonly DataField<int?> LabelField = new("label");
    static readonly DataField<string> PathField = new("path", true);
    static readonly DataField<float> ElementField = new("element", false);
    static readonly ListField VectorField = new("vector", ElementField);
    static readonly ParquetSchema Schema = new(IdField, LabelField, PathField, VectorField);

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/>, with <paramref name="metadata"/> as the file's key-value metadata.</summary>
    public static void Write(string path, EmbeddingTable table, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteAsync(path, table, metadata).GetAwaiter().GetResult();

    static async Task WriteAsync(string path, EmbeddingTable table, IReadOnlyDictionary<string, string>? metadata)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        await using (var stream = File.Create(temp))
        {
            await using var writer = await ParquetWriter.CreateAsync(Schema, stream);
            if (metadata is not null) writer.CustomMetadata = metadata.ToDictionary();
            var d = table.Dims;
            // Repetition levels of one row's list: 0 opens a new row, 1 continues it; every element is present, so its
            // definition level is the deepest (list and element defined).
            var levels = new int[checked(Math.Min(RowGroupRows, Math.Max(table.Count, 1)) * d)];
            for (var i = 0; i < levels.Length; i++) levels[i] = i % d == 0 ? 0 : 1;
            var defined = Enumerable.Repeat(ElementField.MaxDefinitionLevel, levels.Length).ToArray();
            for (var start = 0; start < table.Count; start += RowGroupRows)
            {
                var n = Math.Min(RowGroupRows, table.Count - start);
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(IdField, new ReadOnlyMemory<long>(table.Ids, start, n));
                await group.WriteAsync(LabelField, new ReadOnlyMemory<int?>(table.Labels, start, n));
                await group.WriteAsync(PathField, new ArraySegment<string?>(table.Paths, start, n)!);
                await group.WriteAllPartsAsync(ElementField, new ReadOnlyMemory<float>(table.Vectors, start * d, n * d),
                    new ReadOnlyMemory<int>(defined, 0, n * d), new ReadOnlyMemory<int>(levels, 0, n * d), CancellationToken.None);
            }
        }
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Reads a file written by <see cref="Write"/> (or any file with the same columns and equal-length vectors).</summary>
    public static EmbeddingTable Read(string path) => ReadAsync(path).GetAwaiter().GetResult();

    /// <summary>The file's key-value metadata.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string path) => MetadataAsync(path).GetAwaiter().GetResult();

    static async Task<IReadOnlyDictionary<string, string>> MetadataAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(Existing(path));
        return reader.CustomMetadata;
    }

    static async Task<EmbeddingTable> ReadAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(Existing(path));
        var fields = reader.Schema.GetDataFields();
        DataField Find(string name) => fields.FirstOrDefault(f => f.Path.ToString() == name || f.Name == name && name != "element")
            ?? throw new InvalidDataException($"{path}: no column '{name}'; expected id, label, path and vector (a list of float32)");
        var (idField, labelField, pathField) = (Find("id"), Find("label"), Find("path"));
        var elementField = fields.FirstOrDefault(f => f.Path.ToString().StartsWith("vector", StringComparison.Ordinal) && f.ClrType == typeof(float))
            ?? throw new InvalidDataException($"{path}: no column 'vector' of float32 lists");
        // Sizes from the metadata first, so every column is read straight into one array of its final size.
        var groups = reader.RowGroups.ToList();
        var count = checked((int)groups.Sum(g => g.RowCount));
        var values = groups.Sum(g => g.GetMetadata(elementField)!.MetaData!.NumValues);
        if (count == 0) throw new InvalidDataException($"{path}: no rows");
        if (values % count != 0 || values == 0)
            throw new InvalidDataException($"{path}: {values} vector values over {count} rows; expected vectors of one length");
        var dims = checked((int)(values / count));
        var (ids, labels, paths, vectors) = (new long[count], new int?[count], new string?[count], new float[checked(count * dims)]);
        var row = 0;
        foreach (var group in groups)
        {
            var n = checked((int)group.RowCount);
            if (idField.IsNullable)
            {
                var maybe = new long?[n]; // e.g. a file another writer made, whose columns are all nullable
                await group.ReadAsync(idField, maybe.AsMemory());
                for (var i = 0; i < n; i++) ids[row + i] = maybe[i] ?? throw new InvalidDataException($"{path}: row {row + i} has no id");
            }
            else await group.ReadAsync(idField, ids.AsMemory(row, n));
            await group.ReadAsync(labelField, labels.AsMemory(row, n));
            await group.ReadAsync(pathField, paths.AsMemory(row, n));
            var (definition, repetition) = (new int[n * dims], new int[n * dims]);
            await group.ReadRawAsync(elementField, vectors.AsMemory(row * dims, n * dims), definition.AsMemory(), repetition.AsMemory());
            if (definition.Any(l => l != elementField.MaxDefinitionLevel) || repetition.Where((l, i) => (l == 0) != (i % dims == 0)).Any())
                throw new InvalidDataException($"{path}: a vector is null, has a null element or not {dims} values; expected one full vector of one length per row");
            row += n;
        }
        return new EmbeddingTable(vectors, dims, ids, labels, paths);
    }

    static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path}: no Parquet embeddings file", path);
}
