using SelfSup.Leaderboard;
using SelfSup.Methods;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Leaderboard;

public class LeaderboardPageTests
{
    static readonly LeaderboardEntry[] Cifar =
    [
        FakeEntries.Done("simclr", "contrastive", knn: 43.46, linear: 46.50, fineTune: 30.25, scratch: 21.5),
        FakeEntries.Done("byol", "non-contrastive", knn: 41.00, linear: 50.00, fineTune: 28.0, scratch: 22.5) with
        {
            Evaluation = FakeEntries.Done("byol", "non-contrastive", 41, 50).Evaluation! with { RandomInit = new(23.41, 27.44) },
        },
        FakeEntries.Done("pca", "reconstruction", knn: 47.28, linear: 40.10, encoder: "linear projection (128-d)", closedForm: true),
        FakeEntries.Done("mae", "masked image modelling", knn: 30.00, linear: 38.00, encoder: "vit-tiny/p4/d4 w128") with
        {
            Evaluation = FakeEntries.Done("mae", "masked image modelling", 30, 38).Evaluation! with { RandomInit = new(25.5, 31.25) },
        },
        FakeEntries.Done("vicreg", "non-contrastive", 0, 0) with { Status = EntryStatus.Failed, Error = "NonFiniteLossException: loss is NaN", Evaluation = null },
        new() { Method = "mlm", Family = "masked modelling (text)", Dataset = "cifar10", Status = EntryStatus.Skipped, Error = "text method: no image row" },
    ];

    static string Page(params LeaderboardEntry[] entries) => LeaderboardPage.Markdown(
        entries.Select(e => (e, "results/" + LeaderboardPage.ResultFileName(e.Dataset, e.Method))).ToList(), MethodRegistry.All);

    static List<string> TableLines(string page, string section)
    {
        var start = page.IndexOf($"## {section}", StringComparison.Ordinal);
        var lines = page[start..].Split('\n').SkipWhile(l => !l.StartsWith("| # |", StringComparison.Ordinal)).Skip(2);
        return lines.TakeWhile(l => l.StartsWith('|')).ToList();
    }

    [Fact]
    public void Rows_AreSortedByLinearProbe_WithReferenceRowsAmongThem_AndScratchLast()
    {
        var rows = LeaderboardTable.Rows(Cifar.Select(e => (e, "results/x.json")));

        Assert.Equal(
            ["byol", "simclr", "pca", "mae", "random init", "raw pixels", "random init", "supervised from scratch, 10 labels/class"],
            rows.Select(r => r.Name));
        Assert.Equal([50.00, 46.50, 40.10, 38.00, 31.25, 30.71, 27.44], rows.Where(r => r.Linear is not null).Select(r => r.Linear!.Value));
        // One random-init row per encoder, each from its plain method's twin (BYOL's, not SimCLR's zero-init-residual
        // one); scratch from the same source's fine-tuning arm.
        Assert.Equal(["vit-tiny/p4/d4 w128", "resnet18 w16"], rows.Where(r => r.Name == "random init").Select(r => r.Encoder));
        Assert.Contains("byol", rows.Single(r => r.Name == "random init" && r.Encoder == "resnet18 w16").Note);
        Assert.Equal(22.5, rows[^1].FineTune!.Mean);
        Assert.True(rows[2].Reference && rows[4].Reference && !rows[0].Reference, "PCA and the baselines are reference rows");
    }

    [Fact]
    public void Markdown_LinksEveryNumberToItsResultFile_AndListsUnrankedAndMissingMethods()
    {
        var page = Page(Cifar);
        var table = TableLines(page, "cifar10");

        Assert.StartsWith("| 1 | byol |", table[0]);
        Assert.Contains("[50.00](results/leaderboard-cifar10-byol.json)", table[0]);
        Assert.Contains("| [41.00](results/leaderboard-cifar10-byol.json) |", table[0]);
        Assert.Contains("[30.25](results/leaderboard-cifar10-simclr.json)", table[1]);
        Assert.Contains("600 s (planned 476, ran 481)", table[1]);
        Assert.Contains("390 (2 ep × 195)", table[1]);
        Assert.Contains("| *random init* <sub>", page);
        Assert.Contains("| *raw pixels* <sub>", page);
        Assert.Contains("| *supervised from scratch, 10 labels/class* <sub>", page);
        Assert.Contains("| FT@10 labels/class |", page);
        Assert.Contains("| vicreg | failed | NonFiniteLossException: loss is NaN | [leaderboard-cifar10-vicreg.json](results/leaderboard-cifar10-vicreg.json) |", page);
        Assert.Contains("| mlm | skipped |", page);
        Assert.Contains("Not yet measured: ", page);
        Assert.Contains("swav", page[page.IndexOf("Not yet measured: ", StringComparison.Ordinal)..]);
        // Every number in a table cell is a link: no bare score.
        foreach (var line in table)
            foreach (var cell in line.Split('|').Skip(7).Take(3))
                Assert.True(cell.Trim() is "—" || cell.Trim().StartsWith('['), $"unlinked score '{cell}' in {line}");
        Assert.DoesNotContain("AUROC", page);
    }

    [Fact]
    public void TwoClassData_GetsAnAurocColumn()
    {
        var page = Page(FakeEntries.Done("simclr", "contrastive", 80, 85, budget: 180, dataset: "pneumoniamnist", fineTune: 78, auroc: 91.5));

        var row = TableLines(page, "pneumoniamnist")[0];
        Assert.Contains("| AUROC linear / FT |", page);
        Assert.Contains("| [91.50](results/leaderboard-pneumoniamnist-simclr.json) / [92.50](results/leaderboard-pneumoniamnist-simclr.json) |", row);
        Assert.Contains("Budget: 3 min", page);
    }

    [Fact]
    public void NotYetMeasured_ListsImageMethodsWithoutAResult_NotTextMethods()
    {
        var page = Page(FakeEntries.Done("simclr", "contrastive", 40, 45));

        var missing = page[page.IndexOf("Not yet measured: ", StringComparison.Ordinal)..].Split('\n')[0];
        Assert.Contains("byol", missing);
        Assert.DoesNotContain("simclr", missing);
        Assert.DoesNotContain("mlm", missing);
    }

    [Fact]
    public void WithoutResultFiles_ThePageHasNoNumbers()
    {
        using var tmp = new TempDir();
        var path = LeaderboardPage.Write(tmp.Path, MethodRegistry.All);

        var page = File.ReadAllText(path);
        Assert.Contains("## cifar10", page);
        Assert.Contains("## pneumoniamnist", page);
        Assert.Equal(2, page.Split("Not yet measured: no result files").Length - 1);
        Assert.DoesNotContain("](results/", page);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "images")));
    }

    [Fact]
    public void Write_DrawsAChartWithOneBarPerScoredRow_AndLinksIt()
    {
        using var tmp = new TempDir();
        FakeEntries.WriteDocs(tmp.Path, Cifar);

        var page = File.ReadAllText(LeaderboardPage.Write(tmp.Path, MethodRegistry.All));

        Assert.Contains("](images/leaderboard-cifar10.png)", page);
        using var png = SKBitmap.Decode(Path.Combine(tmp.Path, "images", "leaderboard-cifar10.png"));
        Assert.Equal(900, png.Width);
        Assert.Equal(80 + 26 * 7, png.Height); // 4 methods, 2 random-init rows, raw pixels
    }

    [Fact]
    public void ARowBelowItsTwin_SaysWhichScoreAndThatItIsNotInvestigated()
    {
        var table = TableLines(Page(Cifar.Append(FakeEntries.Done("swav", "clustering", knn: 30.10, linear: 36.00)).ToArray()), "cifar10");

        var swav = Assert.Single(table, l => l.Contains("| swav", StringComparison.Ordinal));
        Assert.Contains("**below its random-init twin** (k-NN 30.10 vs 33.48): not investigated yet.", swav);
        Assert.DoesNotContain("below its random-init twin", string.Join("\n", table.Where(l => l != swav)));
    }

    [Fact]
    public void Write_PutsAnInvestigationsFindingInItsRow_WithItsLink()
    {
        using var tmp = new TempDir();
        FakeEntries.WriteDocs(tmp.Path, [.. Cifar, FakeEntries.Done("swav", "clustering", knn: 40.00, linear: 35.00)]);
        File.WriteAllText(Path.Combine(tmp.Path, "results", LeaderboardInvestigation.FileName("cifar10", "swav")),
            """{"command": ["x"], "results": {"investigation": {"method": "swav", "dataset": "cifar10", "finding": "the loss stays at log K"}}}""");

        var swav = Assert.Single(TableLines(File.ReadAllText(LeaderboardPage.Write(tmp.Path, MethodRegistry.All)), "cifar10"),
            l => l.Contains("| swav", StringComparison.Ordinal));

        Assert.Contains("(linear 35.00 vs 35.21): the loss stays at log K ([investigation](results/investigation-cifar10-swav.json))", swav);
    }

    [Fact]
    public void AnInvestigationWithoutAFinding_IsAnErrorNamingTheFileAndField()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "investigation-cifar10-swav.json");
        File.WriteAllText(path, """{"results": {"investigation": {"method": "swav", "dataset": "cifar10"}}}""");

        var e = Assert.Throws<InvalidDataException>(() => LeaderboardInvestigation.Load(path, "results/x.json"));

        Assert.Contains(path, e.Message);
        Assert.Contains("results.investigation.finding", e.Message);
    }
}
