using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using Xunit.Abstractions;

namespace SelfSup.Tests.Cli;

/// <summary>
/// Kill anywhere, resume exactly: `selfsup pretrain` is killed with SIGKILL ten times at seeded random moments (during
/// start-up and checkpoint loading, between steps, while a checkpoint is being written), resumed with --resume each
/// time (started afresh while no checkpoint exists), and left to finish. After every kill the checkpoint on disk loads;
/// at the end the checkpoint, metrics.jsonl and the TensorBoard events equal those of an uninterrupted run of the same
/// seed, bit for bit (one libtorch thread in both runs fixes the order of float reductions), each step logged once.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class PretrainKillResumeTests(PretrainKillResumeTests.FashionMnistRows data, ITestOutputHelper output)
    : IClassFixture<PretrainKillResumeTests.FashionMnistRows>
{
    /// <summary>
    /// A seeded subset of 256 Fashion-MNIST training images as one IDX file: each of the test's 24 processes then
    /// starts about a second sooner than when it read all 60,000 rows of the packed cache to keep 256.
    /// </summary>
    public sealed class FashionMnistRows : IDisposable
    {
        readonly TempDir dir = new();

        public FashionMnistRows()
        {
            using var all = Datasets.Load("fashion-mnist", "train");
            using var rows = all.Rows(Pretraining.LimitRows(all.Count, Images, seed: 5)); // [256, 1, 28, 28]
            Path = dir.File("train-images-idx3-ubyte");
            File.WriteAllBytes(Path, IdxReaderTests.Idx(IdxReader.ImagesMagic, [Images, all.Height, all.Width], rows.data<byte>().ToArray()));
        }

        public const int Images = 256;

        public string Path { get; }

        public void Dispose() => dir.Dispose();
    }

    const int Kills = 10;
    const int Steps = FashionMnistRows.Images / 32 * 4; // batch 32, 4 epochs
    static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Fields that measure time or memory: they differ between any two runs.</summary>
    static readonly string[] Measured = ["images_per_s", "wall_s", "rss_mib", "managed_mib", "seconds"];

    string[] FreshArgs(string method, string outDir, string[] options) =>
    [
        "pretrain", "--method", method, "--data", data.Path, "--encoder", "convnet", "--width", "4",
        "--batch-size", "32", "--epochs", "4", "--threads", "1", "--checkpoint-every", "1", "--monitor-every", "5", "--tensorboard",
        "--seed", "5", .. options.SelectMany(o => new[] { "--set", o }), "--out", outDir,
    ];

    [Theory]
    [InlineData("simclr", 101, new[] { "projection_hidden_dim=16", "projection_dim=8" })]
    // A method with state beside its weights: the queue of negative keys (with its pointer) and the momentum encoder.
    [InlineData("moco-v2", 202, new[] { "projection_hidden_dim=16", "projection_dim=8", "queue_size=80" })]
    public void KilledTenTimes_ResumesToTheUninterruptedRun_BitForBit(string method, int seed, string[] options)
    {
        using var dir = new TempDir();
        var clock = Stopwatch.StartNew();
        var (killedDir, referenceDir) = (dir.File("killed"), dir.File("reference"));
        var checkpoint = Path.Combine(killedDir, "checkpoints", "last.ckpt");
        var rng = new Random(seed);
        var plan = Enumerable.Range(0, Kills).Select(_ => KillMoment.Draw(rng)).ToList();
        // However fast the machine, ten segments cannot finish the run: each logs at most MostSteps steps.
        Assert.True(plan.Sum(m => m.MostSteps) < Steps, $"the kill plan may finish the run: {string.Join("; ", plan)}");

        using var reference = KillablePretrain.Start(FreshArgs(method, referenceDir, options), Path.Combine(referenceDir, "checkpoints"));
        var tmpLeft = 0;
        // --resume once a checkpoint exists; before, the run can only start again.
        string[] Next() => File.Exists(checkpoint) ? ["pretrain", "--resume", "--out", killedDir] : FreshArgs(method, killedDir, options);
        for (var i = 0; i < Kills; i++)
        {
            var resume = File.Exists(checkpoint);
            var from = resume ? Checkpoint.ReadState(checkpoint).Step : 0;
            var started = DateTime.UtcNow;
            using var segment = KillablePretrain.Start(Next(), Path.GetDirectoryName(checkpoint)!, plan[i]);
            var code = segment.WaitForExit(ProcessTimeout);
            Assert.True(segment.Killed, $"kill {i + 1} ({plan[i]}): the process ended by itself with exit code {code}; stderr: {segment.Stderr}");
            // A checkpoint this segment began and did not finish (an older one is deleted when a resumed run starts).
            var tmp = File.Exists(checkpoint + ".tmp") && File.GetLastWriteTimeUtc(checkpoint + ".tmp") >= started;
            tmpLeft += tmp ? 1 : 0;
            var at = File.Exists(checkpoint) ? LoadsWhole(checkpoint) : (long?)null;
            output.WriteLine($"kill {i + 1}: {plan[i]} ({(resume ? $"resumed from step {from}" : "fresh start")}), sent {segment.KilledAt.TotalMilliseconds:F0} ms after start, "
                + $"{segment.StepLines} step lines; last.ckpt {(at is { } s ? $"at step {s} loads" : "absent")}, {(tmp ? "its last.ckpt.tmp left half-written" : "no last.ckpt.tmp of its own")}, "
                + $"metrics.jsonl logged {StepsLogged(killedDir).DefaultIfEmpty().Max()} steps");
        }

        using (var last = KillablePretrain.Start(Next(), Path.GetDirectoryName(checkpoint)!))
            Assert.True(last.WaitForExit(ProcessTimeout) == 0, $"the last resume failed: {last.Stderr}");
        Assert.True(reference.WaitForExit(ProcessTimeout) == 0, $"the uninterrupted run failed: {reference.Stderr}");
        output.WriteLine($"{method}: {Kills} kills ({tmpLeft} left a half-written last.ckpt.tmp), resumed to step {Checkpoint.ReadState(checkpoint).Step}; {clock.Elapsed.TotalSeconds:F1} s in all");

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(checkpoint)!, "*.tmp"));
        AssertSameWeights(Path.Combine(referenceDir, "checkpoints", "last.ckpt"), checkpoint);
        AssertSameMetrics(Path.Combine(referenceDir, "metrics.jsonl"), Path.Combine(killedDir, "metrics.jsonl"));
        AssertSameEvents(Path.Combine(referenceDir, "tensorboard"), Path.Combine(killedDir, "tensorboard"));
    }

    /// <summary>Loads the checkpoint, weights and optimizer state, into a method built from its own config; returns its step.</summary>
    static long LoadsWhole(string path)
    {
        var state = Checkpoint.ReadState(path);
        var (method, _) = Pretraining.BuildMethod(state.Config);
        using (method)
        using (var optimizer = TrainingOptimizer.For(state.Config, method.parameters(), method.FixedLearningRateParameters))
            return Checkpoint.Load(path, method, optimizer).Step;
    }

    /// <summary>The steps of the whole step records in a killed run's metrics.jsonl (its last line may be cut short).</summary>
    static IEnumerable<long> StepsLogged(string runDir)
    {
        var path = Path.Combine(runDir, "metrics.jsonl");
        if (!File.Exists(path)) yield break;
        foreach (var line in File.ReadAllLines(path))
        {
            JsonNode? record;
            try
            {
                record = JsonNode.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }
            if (record?["loss"] is not null) yield return record["step"]!.GetValue<long>();
        }
    }

    /// <summary>Every parameter and buffer equal bit for bit, then the whole file (optimizer state and generator states too).</summary>
    static void AssertSameWeights(string expectedPath, string actualPath)
    {
        var expectedState = Checkpoint.ReadState(expectedPath);
        Assert.Equal(Steps, expectedState.Step);
        var (expected, _) = Pretraining.BuildMethod(expectedState.Config);
        var (actual, _) = Pretraining.BuildMethod(Checkpoint.ReadState(actualPath).Config);
        using (expected)
        using (actual)
        {
            Checkpoint.Load(expectedPath, expected, null);
            Checkpoint.Load(actualPath, actual, null);
            var a = actual.state_dict();
            foreach (var (key, value) in expected.state_dict())
                Assert.True(a.TryGetValue(key, out var other) && other.dtype == value.dtype && other.shape.SequenceEqual(value.shape)
                    && other.contiguous().bytes.SequenceEqual(value.contiguous().bytes), $"{key} differs from the uninterrupted run's");
        }
        Assert.True(File.ReadAllBytes(expectedPath).AsSpan().SequenceEqual(File.ReadAllBytes(actualPath)),
            "the final checkpoints differ outside the weights (optimizer state, generator states or header)");
    }

    /// <summary>The same records in the same order, each value the same JSON number, but the measured fields.</summary>
    static void AssertSameMetrics(string expectedPath, string actualPath)
    {
        static List<string> Records(string path) => File.ReadLines(path).Select(line =>
        {
            var record = JsonNode.Parse(line)!.AsObject();
            foreach (var field in Measured) record.Remove(field);
            return record.ToJsonString();
        }).ToList();
        var actual = Records(actualPath);
        var steps = TrainerTests.StepLosses(actualPath).Keys.ToList(); // throws on a step logged twice
        Assert.Equal(Enumerable.Range(1, Steps).Select(i => (long)i), steps.Order());
        Assert.Equal(Records(expectedPath), actual);
    }

    /// <summary>Each tag's events at the same steps, each step once; the values equal but for the system (time, memory) tags.</summary>
    static void AssertSameEvents(string expectedFolder, string actualFolder)
    {
        var (expected, actual) = (TrainerTensorBoardTests.Read(expectedFolder), TrainerTensorBoardTests.Read(actualFolder));
        var actualScalars = actual.GetProperty("scalars");
        var tags = expected.GetProperty("scalars").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(tags, actualScalars.EnumerateObject().Select(p => p.Name).Order());
        foreach (var tag in expected.GetProperty("scalars").EnumerateObject())
        {
            var want = tag.Value.EnumerateArray().Select(p => (Step: p[0].GetInt64(), Value: p[1].GetDouble())).ToList();
            var got = actualScalars.GetProperty(tag.Name).EnumerateArray().Select(p => (Step: p[0].GetInt64(), Value: p[1].GetDouble())).ToList();
            Assert.True(got.Select(p => p.Step).SequenceEqual(want.Select(p => p.Step)),
                $"{tag.Name}: steps {string.Join(",", got.Select(p => p.Step))}, uninterrupted run {string.Join(",", want.Select(p => p.Step))}");
            if (!tag.Name.StartsWith("system/", StringComparison.Ordinal)) Assert.Equal(want, got);
        }
        static IEnumerable<string> Pictures(JsonElement read) => read.GetProperty("images").EnumerateArray().Select(i => $"{i.GetProperty("tag").GetString()}@{i.GetProperty("step").GetInt64()}");
        Assert.Equal(Pictures(expected), Pictures(actual));
    }
}
