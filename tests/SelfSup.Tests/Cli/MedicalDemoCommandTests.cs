using System.Diagnostics;
using System.Text.Json;
using SelfSup.Cli;
using SelfSup.Reporting;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;
using SkiaSharp;
using Xunit.Abstractions;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

public class MedicalDemoCommandTests(ITestOutputHelper output)
{
    [Fact]
    public void TheDemoDefaults_PretrainOnTrainPlusVal_WithTheMeasuredSimclrRecipe_UnlessTheMethodChanges()
    {
        var simclr = MedicalDemoCommand.WithDemoSettings(RunSettings.WithRecipe(MedicalDemoCommand.Defaults));
        Assert.Equal("train+val", simclr.PretrainSplits);
        Assert.Equal(MedicalDemoCommand.DefaultWarmupEpochs, simclr.WarmupEpochs);
        Assert.Equal("0.2", simclr.MethodOptions["temperature"]);

        var typed = MedicalDemoCommand.WithDemoSettings(RunSettings.WithRecipe(MedicalDemoCommand.Defaults) with
        {
            MethodOptions = new() { ["temperature"] = "0.5" },
        });
        Assert.Equal("0.5", typed.MethodOptions["temperature"]);   // a typed --set wins
        Assert.Equal("256", typed.MethodOptions["projection_hidden_dim"]);

        var byol = MedicalDemoCommand.WithDemoSettings(RunSettings.WithRecipe(MedicalDemoCommand.Defaults with { Method = "byol" }));
        Assert.Empty(byol.MethodOptions);                           // SimCLR's options are not given to another method
        Assert.NotEqual(MedicalDemoCommand.DefaultWarmupEpochs, byol.WarmupEpochs);
    }

    [Fact]
    public void OnAnOwnFolderWithALabelFile_PretrainsOnEveryImage_AndWritesAccuracyAndAurocForEveryPoint()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var data = dir.File("xrays");
        var rows = new List<string> { "path,label" };
        for (var i = 0; i < 40; i++)
        {
            var sick = i % 2 == 1;
            var name = $"{(i < 20 ? "site-a" : "site-b")}/img{i:D2}.png"; // sub-folders are sites, not classes
            var level = (byte)((sick ? 150 : 60) + rng.Next(40));
            TestImages.WritePng(Path.Combine(data, name), 16, 16, (x, y) => new SKColor((byte)(level + (x ^ y) % 8), level, level));
            if (i < 30) rows.Add($"{name},{(sick ? "pneumonia" : "normal")}"); // 10 images stay unlabelled
        }
        var labels = dir.File("labels.csv");
        File.WriteAllLines(labels, rows);
        var run = dir.File("run");

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, CliApp.Run(["demo", "medical", "--data", data, "--labels", labels, "--encoder", "convnet", "--width", "4", "--epochs", "1",
            "--batch-size", "8", "--set", "projection_hidden_dim=16", "--set", "projection_dim=8", "--monitor-every", "0", "--tensorboard", "false",
            "--seeds", "1", "--eval-epochs", "1", "--min-steps", "2", "--labels-per-class", "2,50%,all", "--out", run]));
        output.WriteLine($"demo medical on 40 images: {clock.Elapsed.TotalSeconds:F1} s");

        var config = File.ReadAllText(Path.Combine(run, "config.yaml"));
        Assert.Contains("train_images: 40", config);     // every image, the unlabelled ones too
        Assert.Contains("unlabeled: true", config);
        foreach (var file in new[] { "label_efficiency.json", "label_efficiency.md", "label_efficiency.png", RunReportHtml.FileName })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "label_efficiency.json")));
        var root = json.RootElement;
        Assert.Equal("held_out_20pct_seed_0", root.GetProperty("test_split").GetString());
        Assert.Equal(6, root.GetProperty("test_images").GetInt32());   // 20 % of the 30 labelled images
        var points = root.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(new[] { "2", "50%", "all" }, points.Select(p => p.GetProperty("labels_per_class").GetString()));
        Assert.Equal(new[] { 4, 12, 24 }, points.Select(p => p.GetProperty("labeled_images").GetInt32()));
        foreach (var p in points)
            foreach (var arm in new[] { "scratch", "linear_probe", "fine_tune" })
            {
                Assert.InRange(p.GetProperty(arm).GetProperty("mean").GetDouble(), 0, 100);
                Assert.InRange(p.GetProperty(arm + "_auroc").GetProperty("mean").GetDouble(), 0, 100);
            }
        var page = File.ReadAllText(Path.Combine(run, RunReportHtml.FileName));
        Assert.Contains("label_efficiency.json", page);
        Assert.Contains("Test AUROC", File.ReadAllText(Path.Combine(run, "label_efficiency.md")));
    }
}
