using System.Text.Json;
using SelfSup.Search;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using SkiaSharp;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

/// <summary>Tests that read what a command prints: they replace the process's console, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}

[Collection(ConsoleCollection.Name)]
public class SearchCommandTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var saved = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            return (CliApp.Run(args), output.ToString());
        }
        finally
        {
            Console.SetOut(saved);
        }
    }

    [Fact]
    public void IndexedFolder_FindsAQueryFileFirst_WithItsPathAndClass_InBothEngines_AndDrawsTheGrid()
    {
        using var dir = new TempDir();
        var data = EmbedCommandTests.ClassFolders(dir);
        var checkpoint = TinyRun.Pretrain(data, dir.File("run"));
        Assert.Equal(0, CliApp.Run(["index", "--checkpoint", checkpoint, "--out", dir.File("idx.parquet")]));
        var sidecar = JsonDocument.Parse(File.ReadAllText(dir.File("idx.index.json"))).RootElement;
        Assert.Equal("all", sidecar.GetProperty("split").GetString());
        Assert.Equal("l2", sidecar.GetProperty("vector_normalisation").GetString());

        var query = Path.GetFullPath(dir.File("data/b/3.png"));
        foreach (var engine in new[] { "exact", "duckdb" })
        {
            var (code, text) = Run("search", "--index", dir.File("idx.parquet"), "--query", query, "-k", "4", "--engine", engine, "--json");
            Assert.Equal(0, code);
            var result = JsonDocument.Parse(text).RootElement;
            var neighbours = result.GetProperty("queries")[0].GetProperty("neighbours");
            Assert.Equal(4, neighbours.GetArrayLength());
            Assert.Equal(query, neighbours[0].GetProperty("path").GetString());
            Assert.Equal("b", neighbours[0].GetProperty("class").GetString());
            Assert.Equal(8L, neighbours[0].GetProperty("id").GetInt64()); // b/3.png: row 5 + 3
            Assert.Equal(1.0, neighbours[0].GetProperty("score").GetDouble(), 1e-5);
            Assert.True(neighbours[1].GetProperty("score").GetDouble() <= neighbours[0].GetProperty("score").GetDouble());
        }

        // A query of another size and colour depth is resized and converted; the grid shows it and 3 neighbours.
        TestImages.WritePng(dir.File("big.png"), 50, 40, (x, y) => new SKColor((byte)(x * 5), (byte)(y * 6), 90));
        Assert.Equal(0, CliApp.Run(["search", "--index", dir.File("idx.parquet"), "--query", dir.File("big.png"), query, "-k", "3", "--grid", dir.File("grid.png")]));
        using var grid = SKBitmap.Decode(dir.File("grid.png"));
        Assert.True(grid.Width > 4 * 96 && grid.Height > 2 * 96, $"grid {grid.Width}×{grid.Height}: expected 2 rows of 4 cells of 96 px");

        Assert.NotEqual(0, CliApp.Run(["search", "--index", dir.File("idx.parquet"), "--query", dir.File("missing.png")]));
        Assert.NotEqual(0, CliApp.Run(["search", "--index", dir.File("idx.parquet"), "--query", query, "--engine", "faiss"]));
    }
}
