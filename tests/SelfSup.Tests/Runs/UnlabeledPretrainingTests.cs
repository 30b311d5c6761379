using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;
using SkiaSharp;

namespace SelfSup.Tests.Runs;

/// <summary>Self-supervision's own case: a folder of unlabeled images pretrains; a test split needs labels.</summary>
[Collection(GlobalRngCollection.Name)]
public class UnlabeledPretrainingTests
{
    [Fact]
    public void UnlabeledFolder_Pretrains_AndATestSplitSaysItNeedsLabels()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var rng = new Random(1);
        var data = dir.File("pile");
        for (int i = 0; i < 40; i++)
        {
            var (r, g, b) = ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
            var name = i < 20 ? $"img{i:D2}.png" : $"batch2/img{i:D2}.png";   // a nested folder is part of the pile, not a class
            TestImages.WritePng(Path.Combine(data, name), 8, 8, (x, y) => new SKColor((byte)(r ^ (x * 16)), g, (byte)(b ^ (y * 16))));
        }
        var options = new SelfSup.Data.DatasetOptions { CacheDir = dir.File("cache") };

        var config = RunSettings.WithRecipe(new RunConfig
        {
            Method = "simclr", Data = data, Encoder = "convnet", Width = 4, Epochs = 1, BatchSize = 16,
            CheckpointEvery = 0, MonitorEvery = 0, Seed = 2,
        });
        var runDir = dir.File("run");
        using (var run = Pretraining.Create(config, runDir, options))
        {
            Assert.Equal(40, run.Data.Count);                  // every image, the nested ones too
            Assert.False(run.Data.HasLabels);
            Assert.Equal(3, run.Config.Channels);
            var summary = run.Trainer.Fit();
            Assert.Equal(2, summary.StepsDone);
            Assert.True(double.IsFinite(summary.FinalLoss));
        }
        Assert.Contains("label", Assert.ThrowsAny<Exception>(() => SelfSup.Data.Datasets.Load(data, "test", options)).Message, StringComparison.OrdinalIgnoreCase);

        // A label file for part of the pile: pretraining still reads all 40 images, the online probe reads the labelled 30.
        var csv = dir.File("labels.csv");
        File.WriteAllLines(csv, ["path,label", .. Enumerable.Range(0, 30).Select(i => $"{(i < 20 ? "" : "batch2/")}img{i:D2}.png,{(i % 2 == 0 ? "even" : "odd")}")]);
        var labelled = config with { Labels = csv, OnlineProbeEvery = 1, OnlineProbeBank = 24, OnlineProbeTest = 6 };
        using var probed = Pretraining.Create(labelled, dir.File("run-probed"), options);
        probed.Trainer.ProbeDataOptions = options;
        Assert.Equal(40, probed.Data.Count);
        probed.Trainer.Fit();
        var probes = File.ReadLines(probed.Trainer.MetricsPath).Where(l => l.Contains("online_knn_top1", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, probes.Count);                         // before training and after the only epoch
    }
}
