using System.Diagnostics;
using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Reporting;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

/// <summary>
/// The Trainer's TensorBoard event files, read back by an independent reader written from the TFRecord and protocol
/// buffer specifications (Fixtures/tfrecord_reader.py), which checks every record's length and data CRC.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TrainerTensorBoardTests : IDisposable
{
    const string Python = "/usr/bin/python3";
    readonly string root = Directory.CreateTempSubdirectory("selfsup-tensorboard-").FullName;
    readonly ImageDataset data = SyntheticData.Random(64, channels: 1, size: 8);

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static RunConfig Config(long? maxSteps = null, int checkpointEvery = 0) => new()
    {
        Method = "simclr",
        Data = "synthetic",
        Encoder = "tiny",
        Epochs = 4,
        BatchSize = 16,
        Optimizer = OptimizerKind.Sgd,
        LearningRate = 0.1,
        WeightDecay = 1e-4,
        WarmupEpochs = 1,
        Seed = 7,
        CheckpointEvery = checkpointEvery,
        MaxSteps = maxSteps,
        MonitorEvery = 2,
        MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
    };

    Trainer Build(RunConfig config, string runDir)
    {
        manual_seed(config.Seed);
        var encoder = new TinyEncoder(channels: 1);
        var ctx = new MethodContext(encoder, () => throw new NotSupportedException(), 8, 1, ChannelStats.Measure(data), config.MethodOptions);
        return new Trainer(SimClr.Info.Create(ctx), SimClr.Info.CreateViews(ctx), new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
    }

    /// <summary>step → value of <paramref name="field"/> in every metrics.jsonl line that has it.</summary>
    static Dictionary<long, double> Metric(Trainer t, string field) => File.ReadLines(t.MetricsPath)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(e => e.TryGetProperty(field, out _))
        .ToDictionary(e => e.GetProperty("step").GetInt64(), e => e.GetProperty(field).GetDouble());

    /// <summary>The (step, value) pairs of <paramref name="tag"/> as the reader decoded them, in file order.</summary>
    static List<(long Step, double Value)> Scalars(JsonElement read, string tag) =>
        read.GetProperty("scalars").GetProperty(tag).EnumerateArray().Select(p => (p[0].GetInt64(), p[1].GetDouble())).ToList();

    /// <summary>Each step of <paramref name="logged"/> once, with the value metrics.jsonl has at that step (as the float32 an event holds).</summary>
    static void AssertSameSteps(Dictionary<long, double> metrics, List<(long Step, double Value)> logged, string what)
    {
        Assert.Equal(metrics.Keys.Order(), logged.Select(p => p.Step));
        foreach (var (step, value) in logged)
            Assert.True((float)metrics[step] == (float)value, $"{what} at step {step}: metrics.jsonl {metrics[step]}, event {value}");
    }

    [Fact]
    public void EventFiles_PassEveryCrc_AndHoldMetricsLossAndLr_AtTheSameSteps()
    {
        var trainer = Build(Config(maxSteps: 6), Path.Combine(root, "run"));
        trainer.Fit();
        var read = Read(trainer.TensorBoardDir);

        var file = Assert.Single(read.GetProperty("files").EnumerateArray());
        Assert.Equal("brain.Event:2", file.GetProperty("file_version").GetString());
        AssertSameSteps(Metric(trainer, "loss"), Scalars(read, "train/loss"), "loss");
        AssertSameSteps(Metric(trainer, "lr"), Scalars(read, "train/lr"), "lr");
        // The method's own scalars and the monitors (every second step here) are there too, at their steps.
        AssertSameSteps(Metric(trainer, "embedding_std"), Scalars(read, "train/embedding_std"), "embedding_std");
        AssertSameSteps(Metric(trainer, "rank_me"), Scalars(read, "monitor/rank_me"), "rank_me");
        Assert.Equal([1L, 2, 4, 6], Scalars(read, "monitor/rank_me").Select(p => p.Step));
        // The curves picture at the last step, its PNG as large as the event says.
        var curves = Assert.Single(read.GetProperty("images").EnumerateArray());
        Assert.Equal("pictures/curves", curves.GetProperty("tag").GetString());
        Assert.Equal(6, curves.GetProperty("step").GetInt64());
        Assert.Equal(curves.GetProperty("width").GetInt32(), curves.GetProperty("png_width").GetInt32());
        Assert.Equal(curves.GetProperty("height").GetInt32(), curves.GetProperty("png_height").GetInt32());
    }

    [Fact]
    public void Resume_FromACheckpointBehindTheLog_LogsEveryStepOnce()
    {
        var dir = Path.Combine(root, "resumed");
        Build(Config(maxSteps: 3, checkpointEvery: 3), dir).Fit();
        var trainer = Build(Config(maxSteps: 3), dir);
        var atThree = trainer.LastCheckpointPath + ".step3";
        File.Copy(trainer.LastCheckpointPath, atThree);
        // A run that logged steps 4 and 5, was killed while writing an event, and left its checkpoint of step 3.
        Build(Config(maxSteps: 5), dir).Fit(resume: true);
        var newest = Directory.GetFiles(trainer.TensorBoardDir, TensorBoardLog.EventFilePattern).Order(StringComparer.Ordinal).Last();
        File.AppendAllText(newest, "cut short");
        File.Copy(atThree, trainer.LastCheckpointPath, overwrite: true);

        trainer = Build(Config(maxSteps: 8), dir);
        trainer.Fit(resume: true);
        var read = Read(trainer.TensorBoardDir);

        Assert.Equal(3, read.GetProperty("files").GetArrayLength()); // one event file per run segment
        AssertSameSteps(Metric(trainer, "loss"), Scalars(read, "train/loss"), "loss");
        AssertSameSteps(Metric(trainer, "lr"), Scalars(read, "train/lr"), "lr");
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), Scalars(read, "train/loss").Select(p => p.Step));
        // Each segment's curves at its last step; the killed segment's (step 5) went with its steps.
        Assert.Equal([3L, 8], read.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("step").GetInt64()));
    }

    [Fact]
    public void TensorBoardOff_WritesNoEventFiles()
    {
        var trainer = Build(Config(maxSteps: 2) with { TensorBoard = false }, Path.Combine(root, "off"));
        trainer.Fit();
        Assert.Equal(2, Metric(trainer, "loss").Count);
        Assert.False(Directory.Exists(trainer.TensorBoardDir));
    }

    [Fact]
    public void Reconstructions_AreLoggedAtEachCheckpoint_AndLeaveEveryLossUnchanged()
    {
        var images = TinyRun.IdxWithoutTestSplit(Path.Combine(root, "idx"));
        var config = new RunConfig
        {
            Method = "ae",
            Data = images,
            Encoder = "convnet",
            Width = 4,
            Epochs = 1,
            BatchSize = 8,
            MaxSteps = 3,
            Optimizer = OptimizerKind.AdamW,
            LearningRate = 1e-3,
            CheckpointEvery = 2,
            Seed = 1,
            MonitorEvery = 0,
        };
        Dictionary<long, double> Losses(RunConfig c, string name)
        {
            using var run = Pretraining.Create(c, Path.Combine(root, name));
            run.Trainer.Fit();
            return Metric(run.Trainer, "loss");
        }
        var on = Losses(config, "on");
        var off = Losses(config with { TensorBoard = false }, "off");
        Assert.Equal(off, on);

        var pictures = Read(Path.Combine(root, "on", TensorBoardLog.FolderName)).GetProperty("images").EnumerateArray()
            .Select(i => (Tag: i.GetProperty("tag").GetString(), Step: i.GetProperty("step").GetInt64(), Height: i.GetProperty("png_height").GetInt32()))
            .ToList();
        Assert.Equal([("pictures/reconstructions", 2L), ("pictures/reconstructions", 3L), ("pictures/curves", 3L)], pictures.Select(p => (p.Tag, p.Step)));
        // Eight rows of 16-pixel images drawn 4× with 2-pixel gaps: original | reconstruction.
        Assert.Equal(Trainer.PictureImages * (16 * 4 + 2) + 2, pictures[0].Height);
    }

    [Fact]
    public void Reader_RejectsAnEventFileWithOneByteChanged()
    {
        var trainer = Build(Config(maxSteps: 1), Path.Combine(root, "flipped"));
        trainer.Fit();
        var file = Assert.Single(Directory.GetFiles(trainer.TensorBoardDir, TensorBoardLog.EventFilePattern));
        var bytes = File.ReadAllBytes(file);
        bytes[^10] ^= 1; // inside the last record's data
        File.WriteAllBytes(file, bytes);
        var (code, _, stderr) = RunReader(trainer.TensorBoardDir);
        Assert.Equal(1, code);
        Assert.Contains("data CRC", stderr);
    }

    /// <summary>Runs the independent reader on <paramref name="folder"/>; it fails on any broken record or CRC.</summary>
    internal static JsonElement Read(string folder)
    {
        var (code, stdout, stderr) = RunReader(folder);
        Assert.True(code == 0, $"tfrecord_reader.py failed ({code}): {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    static (int Code, string Stdout, string Stderr) RunReader(string folder)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tfrecord_reader.py");
        Assert.True(File.Exists(Python), $"{Python} not found");
        var start = new ProcessStartInfo(Python, [script, folder]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "tfrecord_reader.py did not finish in 60 s");
        return (process.ExitCode, stdout, stderr.Result);
    }
}
