using SelfSup.Search;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using static TorchSharp.torch;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Search;

public class EmbeddingIndexTests
{
    public EmbeddingIndexTests() => TorchRuntime.Initialize();

    [Fact]
    public void DuckDbTop10_EqualsExactSearch_OnFashionMnistTestImages()
    {
        using var dir = new TempDir();
        var checkpoint = TinyRun.Pretrain("fashion-mnist", dir.File("run")); // one step: an almost random-init encoder
        Assert.Equal(0, CliApp.Run(["index", "--checkpoint", checkpoint, "--data", "fashion-mnist", "--split", "test", "--out", dir.File("fmnist.parquet")]));
        using var index = EmbeddingIndex.Open(dir.File("fmnist.parquet"));
        Assert.Equal(10_000, index.Info.Count);
        Assert.Equal("test", index.Info.Split);
        Assert.Equal(10, index.Info.ClassNames!.Length);

        // Queries: five indexed vectors (each finds itself first) and their negatives (all scores reversed).
        var table = index.Table;
        var rows = new[] { 0, 1234, 5000, 7777, 9999 };
        var picked = rows.SelectMany(r => table.Vector(r).ToArray()).ToArray();
        using var own = tensor(picked, [rows.Length, table.Dims]);
        using var queries = cat([own, own.neg()], 0); // [10, D]
        var exact = index.Search(queries, 10, SearchEngine.Exact);
        var duck = index.Search(queries, 10, SearchEngine.DuckDb);

        for (var q = 0; q < exact.Length; q++)
        {
            var (e, d) = (exact[q], duck[q]);
            Assert.Equal(10, d.Count);
            for (var j = 0; j < 10; j++)
            {
                Assert.Equal(e[j].Score, d[j].Score, 1e-5f);
                var tied = e.Where((h, i) => i != j && Math.Abs(h.Score - e[j].Score) <= 1e-5f).Any();
                if (!tied) Assert.Equal(e[j].Id, d[j].Id);
                Assert.Equal(table.Labels[(int)d[j].Id], d[j].Label);
            }
            if (q < rows.Length)
            {
                Assert.Equal(1f, e[0].Score, 1e-5f);
                Assert.Contains(e.TakeWhile(h => h.Score > 1 - 1e-5f), h => h.Id == rows[q]);
            }
        }
    }
}
