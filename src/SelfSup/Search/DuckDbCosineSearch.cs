using System.Globalization;
using System.Text;
using DuckDB.NET.Data;

namespace SelfSup.Search;

/// <summary>
/// Nearest neighbours by cosine similarity computed by DuckDB (embedded, in-memory database) over a Parquet embeddings
/// file (<see cref="Interop.ParquetEmbeddings"/>): each query is one SQL statement that casts the stored list to a
/// fixed-size <c>FLOAT[D]</c> array, scores it with <c>array_cosine_similarity</c> and keeps the top k by score (then
/// id). DuckDB streams the file, so the index need not fit in memory. Extension installing and autoloading are
/// switched off: only what the embedded library carries (Parquet reading) is used.
/// </summary>
public static class DuckDbCosineSearch
{
    /// <summary>For each query vector (length <paramref name="dims"/>), the <paramref name="k"/> most cosine-similar rows of <paramref name="parquetPath"/>, best first.</summary>
    public static IReadOnlyList<SearchHit>[] TopK(string parquetPath, int dims, IReadOnlyList<float[]> queries, int k)
    {
        if (k < 1) throw new ArgumentException($"k must be at least 1, got {k}");
        if (!File.Exists(parquetPath)) throw new FileNotFoundException($"{parquetPath}: no Parquet embeddings file", parquetPath);
        if (queries.FirstOrDefault(q => q.Length != dims) is { } bad)
            throw new ArgumentException($"query vector has {bad.Length} values; the index has {dims}");
        using var connection = Open();
        var file = Path.GetFullPath(parquetPath).Replace("'", "''", StringComparison.Ordinal);
        var results = new IReadOnlyList<SearchHit>[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT id, label, path, array_cosine_similarity(vector::FLOAT[{dims}], {Literal(queries[i])}::FLOAT[{dims}]) AS score " +
                $"FROM read_parquet('{file}') ORDER BY score DESC, id LIMIT {k}";
            using var reader = command.ExecuteReader();
            var hits = new List<SearchHit>(k);
            while (reader.Read())
                hits.Add(new SearchHit(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2), Convert.ToSingle(reader.GetValue(3), CultureInfo.InvariantCulture)));
            results[i] = hits;
        }
        return results;
    }

    /// <summary>An in-memory DuckDB connection that never downloads or autoloads extensions.</summary>
    public static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var settings = connection.CreateCommand();
        settings.CommandText = "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;";
        settings.ExecuteNonQuery();
        return connection;
    }

    /// <summary>A SQL list literal of the values, each written so that it reads back as the same float32.</summary>
    static string Literal(float[] values)
    {
        var text = new StringBuilder(values.Length * 12).Append('[');
        for (var j = 0; j < values.Length; j++)
        {
            if (!float.IsFinite(values[j])) throw new ArgumentException($"query vector value {j} is {values[j]}; expected a finite number");
            if (j > 0) text.Append(',');
            text.Append(values[j].ToString("R", CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }
}
