using SelfSup.Interop;
using SelfSup.Search;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using SkiaSharp;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

public class EmbedCommandTests
{
    /// <summary>Class folders a/ and b/ of 5 noisy 16×16 PNGs each; returns the folder.</summary>
    internal static string ClassFolders(TempDir dir, int perClass = 5)
    {
        var rng = new Random(3);
        for (var cls = 0; cls < 2; cls++)
            for (var i = 0; i < perClass; i++)
                TestImages.WritePng(dir.File($"data/{(char)('a' + cls)}/{i}.png"), 16, 16,
                    (_, _) => new SKColor((byte)(120 * cls + rng.Next(120)), (byte)rng.Next(256), (byte)rng.Next(256)));
        return dir.File("data");
    }

    [Fact]
    public void ParquetOut_HoldsTheSameVectorsAsNpy_WithLabelsAndPathsInRowOrder_AsDuckDbReadsIt()
    {
        using var dir = new TempDir();
        var data = ClassFolders(dir);
        var checkpoint = TinyRun.Pretrain(data, dir.File("run"));

        Assert.Equal(0, CliApp.Run(["embed", "--checkpoint", checkpoint, "--split", "all", "--out", dir.File("e.npy")]));
        Assert.Equal(0, CliApp.Run(["embed", "--checkpoint", checkpoint, "--split", "all", "--out", dir.File("e.parquet")]));
        Assert.Equal(0, CliApp.Run(["embed", "--checkpoint", checkpoint, "--split", "all", "--out", dir.File("e.pq"), "--format", "parquet"]));
        Assert.NotEqual(0, CliApp.Run(["embed", "--checkpoint", checkpoint, "--split", "all", "--out", dir.File("e.csv")]));

        var npy = NpyReader.Read(dir.File("e.npy"));
        var (n, d) = ((int)npy.Shape[0], (int)npy.Shape[1]);
        var expected = npy.Float32!;
        Assert.Equal(10, n);
        var files = Enumerable.Range(0, 2).SelectMany(c => Enumerable.Range(0, 5).Select(i => Path.GetFullPath(dir.File($"data/{(char)('a' + c)}/{i}.png")))).ToArray();
        foreach (var file in new[] { dir.File("e.parquet"), dir.File("e.pq") })
        {
            using var db = DuckDbCosineSearch.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT id, label, path, vector::FLOAT[{d}] FROM read_parquet('{file}')";
            using var reader = cmd.ExecuteReader();
            var r = 0;
            while (reader.Read())
            {
                Assert.Equal((long)r, reader.GetInt64(0));
                Assert.Equal(r / 5, reader.GetInt32(1)); // class folders in order: a → 0, b → 1
                Assert.Equal(files[r], reader.GetString(2));
                var vector = ((System.Collections.IEnumerable)reader.GetValue(3)).Cast<object>().Select(Convert.ToSingle).ToArray();
                Assert.Equal(expected.AsSpan(r * d, d).ToArray(), vector);
                r++;
            }
            Assert.Equal(n, r);
        }
    }
}
