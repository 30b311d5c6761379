using SelfSup.Interop;
using SelfSup.Search;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Interop;

public class ParquetEmbeddingsTests
{
    /// <summary>Rows of 3-dimensional vectors whose values say where they are: row r, component j = r + j / 8 (exact in float32).</summary>
    static EmbeddingTable Table(int rows, bool labelled, bool withPaths)
    {
        var vectors = new float[rows * 3];
        for (var r = 0; r < rows; r++)
            for (var j = 0; j < 3; j++) vectors[r * 3 + j] = r + j / 8f; // exact binary fractions
        var labels = labelled ? Enumerable.Range(0, rows).Select(r => (long)(r % 7)).ToArray() : null;
        var paths = withPaths ? Enumerable.Range(0, rows).Select(r => $"/images/{r:D5}.png").ToList() : null;
        return EmbeddingTable.OfSplit(vectors, 3, labels, paths);
    }

    [Fact]
    public void DuckDb_ReadsEveryColumn_InRowOrder_AcrossRowGroups()
    {
        using var dir = new TempDir();
        var file = dir.File("e.parquet");
        const int rows = 40_000; // more than one row group (16,384 rows)
        ParquetEmbeddings.Write(file, Table(rows, labelled: true, withPaths: true));
        using var db = DuckDbCosineSearch.Open();
        using var cmd = db.CreateCommand();
        // The file's own order (no ORDER BY): row r must carry id r, label r % 7, its path and vector [r, r + 1/8, r + 2/8].
        cmd.CommandText = $"SELECT id, label, path, vector, typeof(vector), vector::FLOAT[3] FROM read_parquet('{file}')";
        using var reader = cmd.ExecuteReader();
        var r = 0;
        while (reader.Read())
        {
            Assert.Equal((long)r, reader.GetInt64(0));
            Assert.Equal(r % 7, reader.GetInt32(1));
            Assert.Equal($"/images/{r:D5}.png", reader.GetString(2));
            var vector = ((System.Collections.IEnumerable)reader.GetValue(3)).Cast<object>().Select(Convert.ToSingle).ToArray();
            Assert.Equal(new[] { r, r + 0.125f, r + 0.25f }, vector);
            Assert.Equal("FLOAT[]", reader.GetString(4));
            r++;
        }
        Assert.Equal(rows, r);
    }

    [Fact]
    public void DuckDb_SeesNulls_WhereTheSplitHasNoLabelsOrFiles()
    {
        using var dir = new TempDir();
        var file = dir.File("e.parquet");
        ParquetEmbeddings.Write(file, Table(5, labelled: false, withPaths: false));
        using var db = DuckDbCosineSearch.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT count(*), count(label), count(path), sum(id)::BIGINT, sum(len(vector))::BIGINT FROM read_parquet('{file}')";
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(5L, Convert.ToInt64(reader.GetValue(0)));
        Assert.Equal(0L, Convert.ToInt64(reader.GetValue(1)));
        Assert.Equal(0L, Convert.ToInt64(reader.GetValue(2)));
        Assert.Equal(10L, Convert.ToInt64(reader.GetValue(3))); // 0 + 1 + 2 + 3 + 4
        Assert.Equal(15L, Convert.ToInt64(reader.GetValue(4)));
    }

    [Fact]
    public void Read_GivesBackWhatWasWritten()
    {
        using var dir = new TempDir();
        var file = dir.File("e.parquet");
        var written = Table(20_000, labelled: true, withPaths: false);
        ParquetEmbeddings.Write(file, written, new Dictionary<string, string> { ["k"] = "v" });
        var read = ParquetEmbeddings.Read(file);
        Assert.Equal(written.Dims, read.Dims);
        Assert.Equal(written.Vectors, read.Vectors);
        Assert.Equal(written.Ids, read.Ids);
        Assert.Equal(written.Labels, read.Labels);
        Assert.All(read.Paths, Assert.Null);
        Assert.Equal("v", ParquetEmbeddings.Metadata(file)["k"]);
    }

    [Fact]
    public void Read_TakesAFileDuckDbWrote_AndRefusesVectorsOfDifferentLengths()
    {
        using var dir = new TempDir();
        using var db = DuckDbCosineSearch.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText =
            $"COPY (SELECT 0::BIGINT AS id, 3 AS label, 'a.png' AS path, [1.5, 2.5]::FLOAT[] AS vector UNION ALL SELECT 1, NULL, NULL, [4, 5]::FLOAT[]) TO '{dir.File("even.parquet")}';" +
            $"COPY (SELECT 0::BIGINT AS id, 3 AS label, 'a.png' AS path, [1.5, 2.5]::FLOAT[] AS vector UNION ALL SELECT 1, NULL, NULL, [4]::FLOAT[]) TO '{dir.File("ragged.parquet")}'";
        cmd.ExecuteNonQuery();

        var read = ParquetEmbeddings.Read(dir.File("even.parquet"));
        Assert.Equal(2, read.Dims);
        Assert.Equal(new[] { 1.5f, 2.5f, 4f, 5f }, read.Vectors);
        Assert.Equal(new int?[] { 3, null }, read.Labels);
        Assert.Equal(new string?[] { "a.png", null }, read.Paths);
        Assert.Throws<InvalidDataException>(() => ParquetEmbeddings.Read(dir.File("ragged.parquet")));
    }
}
