using System.CommandLine;
using System.Text.Json;
using SkiaSharp;
using SelfSup.Evaluation;
using SelfSup.Reporting;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

public class CliTests
{
    static string Help(params string[] args)
    {
        using var output = new StringWriter();
        var rc = CliApp.CreateRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output });
        Assert.Equal(0, rc);
        return output.ToString();
    }

    [Fact]
    public void Help_UsageLinesNameTheCommandSelfsup()
    {
        var root = Help("--help");
        var cluster = Help("eval", "cluster", "--help");

        Assert.Contains("Usage:\n  selfsup [command] [options]", root.ReplaceLineEndings("\n"));
        Assert.Contains("Usage:\n  selfsup eval cluster [options]", cluster.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("SelfSup.Cli", root + cluster);
    }

    [Fact]
    public void MethodsName_PrintsThePaperTheRecipe_AndEveryOptionWithItsDocLine()
    {
        var text = SelfSup.Cli.MethodsCommand.Describe(SelfSup.Methods.MethodRegistry.Get("ijepa"));
        Assert.Contains("Assran et al. 2023", text);
        Assert.Contains("0.04 → 0.4 (cosine)", text);                      // the recipe's weight-decay schedule
        Assert.Contains("min_context_tokens = 10", text);
        Assert.Contains("re-places and relaxes until it does", text);      // its doc line, read from the XML docs
    }

    [Fact]
    public void EvalCommands_OfferTheTestFraction()
    {
        foreach (var command in new[] { new[] { "eval" }, ["eval", "cluster"], ["eval", "retrieval"], ["eval", "robustness"], ["eval", "label-efficiency"], ["eval", "project"], ["embed"] })
            foreach (var flag in new[] { "--test-fraction", "--labels", "--test-labels", "--test-data", "--resize", "--window" })
                Assert.Contains(flag, Help([.. command, "--help"]));
    }

    [Fact]
    public void PretrainWithTestData_EvaluatesOnThatFolder_AndResultsSayGivenWithItsSource()
    {
        using var dir = new TempDir();
        var rng = new Random(2);
        void Image(string path, int cls) => TestImages.WritePng(path, 16, 16, (_, _) => new SKColor((byte)(100 * cls + rng.Next(100)), (byte)rng.Next(256), 9));
        for (var cls = 0; cls < 2; cls++)
        {
            for (var i = 0; i < 8; i++) Image(dir.File($"data/{(char)('a' + cls)}/{i}.png"), cls);
            for (var i = 0; i < 2; i++) Image(dir.File($"given/{(char)('a' + cls)}/{i}.png"), cls);
        }
        var run = dir.File("run");

        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "simclr", "--data", dir.File("data"), "--test-data", dir.File("given"), "--resize", "fit", "--window", "0:4095",
            "--encoder", "convnet", "--width", "4", "--epochs", "1", "--batch-size", "8", "--max-steps", "1", "--set", "projection_hidden_dim=16", "--set", "projection_dim=8", "--out", run]));
        Assert.Equal(0, CliApp.Run(["eval", "--checkpoint", run, "--k", "3"]));
        Assert.NotEqual(0, CliApp.Run(["eval", "--checkpoint", run, "--window", "9:3"]));

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.Equal("given", results.RootElement.GetProperty("test_split").GetString());
        Assert.Equal(Path.GetFullPath(dir.File("given")), results.RootElement.GetProperty("test_split_source").GetString());
        Assert.Equal(16, results.RootElement.GetProperty("eval_train_images").GetInt32());    // all of data: nothing held out
        Assert.Equal(4, results.RootElement.GetProperty("eval_test_images").GetInt32());
        var config = File.ReadAllText(Path.Combine(run, "config.yaml"));
        Assert.Contains("resize: fit", config);
        Assert.Contains("window: 0:4095", config);
    }

    [Fact]
    public void EvalAndCluster_OnADatasetWithoutTestSplit_HoldOutItsTestRows_AndTheReportShowsTheClustering()
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        var run = dir.File("run");

        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "simclr", "--data", data, "--encoder", "convnet", "--width", "4", "--epochs", "1",
            "--batch-size", "8", "--max-steps", "1", "--set", "projection_hidden_dim=16", "--set", "projection_dim=8", "--out", run]));
        Assert.Equal(0, CliApp.Run(["eval", "--checkpoint", run, "--k", "3"]));
        Assert.Equal(0, CliApp.Run(["eval", "cluster", "--checkpoint", run, "--restarts", "2"]));
        Assert.Equal(0, CliApp.Run(["report", run]));

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.Equal("held_out_20pct_seed_0", results.RootElement.GetProperty("test_split").GetString());
        Assert.Equal(24, results.RootElement.GetProperty("eval_train_images").GetInt32());
        Assert.Equal(6, results.RootElement.GetProperty("eval_test_images").GetInt32());
        using var clustering = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, ClusteringEvaluation.ResultFile)));
        Assert.Equal("held_out_20pct_seed_0", clustering.RootElement.GetProperty("test_split").GetString());
        Assert.Equal(6, clustering.RootElement.GetProperty("test_images").GetInt32());
        var report = File.ReadAllText(Path.Combine(run, RunReport.FileName)).ReplaceLineEndings("\n");
        Assert.Contains("## Clustering\n\n`clustering.json`:", report);
        Assert.DoesNotContain("Missing: no `clustering.json`", report);

        Assert.Equal(0, CliApp.Run(["report", run, "--html"]));
        Assert.Contains("<h3>clustering.json</h3>", File.ReadAllText(Path.Combine(run, RunReportHtml.FileName)));
        var compare = Path.Combine(Path.GetDirectoryName(run)!, "compare-out", "both.html");
        Assert.Equal(0, CliApp.Run(["report", run, run + ".missing", "--compare", "--out", compare]));
        Assert.Contains("<h2>Config differences</h2>", File.ReadAllText(compare));
        Assert.Equal(1, CliApp.Run(["report", run, "--out", compare])); // --out belongs to --compare
    }
}
