using System.CommandLine;
using SelfSup.Leaderboard;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

[Collection(GlobalRngCollection.Name)]
public class BenchMethodsCommandTests
{
    static (int Rc, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        var rc = CliApp.CreateRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output });
        return (rc, output.ToString());
    }

    [Fact]
    public void BenchMethods_TrainsTwoMethodsOnTinyData_WritesTheirResultsAndThePage_AndARerunKeepsThem()
    {
        using var tmp = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(tmp.File("idx"), classes: 2, perClass: 80); // 128 training images after the hold-out: enough for PCA's 128 components
        string[] args =
        [
            "bench", "methods", "--data", data, "--minutes", "0.05", "--methods", "simclr,pca", "--encoder", "convnet", "--width", "4",
            "--batch-size", "8", "--calibration-steps", "2", "--ft-seeds", "1", "--ft-labels-per-class", "2", "--threads", "1",
            "--out", tmp.File("runs"), "--docs", tmp.File("docs"),
        ];

        var (rc, _) = Run(args);
        var (rerunRc, _) = Run(args);

        Assert.True(rc == 0, string.Join("\n", Directory.EnumerateFiles(tmp.File("runs"), "result.json", SearchOption.AllDirectories).Select(File.ReadAllText)));
        Assert.Equal(0, rerunRc);
        var dataset = LeaderboardRun.DatasetKey(data);
        var simclr = LeaderboardResultFile.Load(LeaderboardRun.ResultPath(tmp.File("runs"), data, "simclr"));
        var pca = LeaderboardResultFile.Load(LeaderboardRun.ResultPath(tmp.File("runs"), data, "pca")).Entry;
        var entry = simclr.Entry;
        Assert.Equal(EntryStatus.Done, entry.Status);
        Assert.Equal("convnet w4", entry.Encoder);
        Assert.Equal(entry.Plan!.TotalSteps, entry.StepsDone);                        // the whole planned schedule ran
        Assert.Equal(entry.Plan.Epochs * entry.Plan.StepsPerEpoch, entry.Plan.TotalSteps);
        Assert.True(entry.Plan.PlannedSeconds <= 3 * 0.9 + 1e-9 || entry.Plan.TotalSteps == 1, $"{entry.Plan}");
        Assert.InRange(entry.Evaluation!.LinearTop1, 0, 100);
        Assert.NotNull(entry.FineTune);
        Assert.NotNull(entry.LinearAuroc);                                              // two classes
        Assert.StartsWith("selfsup bench methods --data ", simclr.Provenance.Command[0]);
        Assert.Equal("closed-form", pca.Plan!.Kind);
        Assert.Equal(EntryStatus.Done, pca.Status);
        // The second run trained nothing: the files are the first run's.
        Assert.Equal(File.ReadAllText(LeaderboardRun.ResultPath(tmp.File("runs"), data, "simclr")),
            File.ReadAllText(tmp.File(Path.Combine("docs", "results", LeaderboardPage.ResultFileName(data, "simclr")))));
        var page = File.ReadAllText(tmp.File(Path.Combine("docs", "leaderboard.md")));
        Assert.Contains($"## {dataset}", page);
        Assert.Contains($"](results/leaderboard-{dataset}-simclr.json)", page);
        Assert.Contains($"](results/leaderboard-{dataset}-pca.json)", page);
        Assert.Contains("*random init*", page);
        Assert.True(File.Exists(tmp.File(Path.Combine("docs", "images", $"leaderboard-{dataset}.png"))));
    }

    [Fact]
    public void Set_ChangesOneMethodsOption_RecordsIt_AndLeavesTheDocsAlone()
    {
        using var tmp = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(tmp.File("idx"), classes: 2, perClass: 40);
        var defaultDocs = Path.GetFullPath("docs"); // where the default --docs would write: it must stay as it was
        var docsBefore = Directory.Exists(defaultDocs) ? Directory.GetLastWriteTimeUtc(defaultDocs) : (DateTime?)null;

        var (rc, _) = Run("bench", "methods", "--data", data, "--minutes", "0.03", "--methods", "simclr", "--set", "temperature=0.3",
            "--encoder", "convnet", "--width", "4", "--batch-size", "8", "--calibration-steps", "2", "--ft-seeds", "0", "--threads", "1",
            "--out", tmp.File("runs"));

        Assert.Equal(0, rc);
        Assert.Equal(docsBefore, Directory.Exists(defaultDocs) ? Directory.GetLastWriteTimeUtc(defaultDocs) : null);
        var entry = LeaderboardResultFile.Load(LeaderboardRun.ResultPath(tmp.File("runs"), data, "simclr")).Entry;
        Assert.Equal(EntryStatus.Done, entry.Status);
        Assert.Equal("0.3", entry.MethodOptions!["temperature"]);
    }

    [Fact]
    public void Set_WithMoreThanOneMethod_IsRefused()
    {
        using var tmp = new TempDir();
        using var errors = new StringWriter();
        var saved = Console.Error;
        Console.SetError(errors);
        int rc;
        try
        {
            (rc, _) = Run("bench", "methods", "--data", "pneumoniamnist", "--methods", "simclr,byol", "--set", "temperature=0.3",
                "--out", tmp.File("runs"), "--dry-run");
        }
        finally { Console.SetError(saved); }

        Assert.NotEqual(0, rc);
        Assert.Contains("--set: names options of one method; give exactly one with --methods (got 2)", errors.ToString());
    }
}
