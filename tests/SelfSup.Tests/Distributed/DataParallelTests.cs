using SelfSup.Methods;
using SelfSup.Reporting;
using SelfSup.Runs;
using SelfSup.Tests.Cli;
using SelfSup.Tests.Data;
using SelfSup.Tests.TestSupport;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Distributed;

/// <summary>
/// Data-parallel training under a real `mpirun -np 2` (Open MPI): two ranks with half the batch each train to the
/// same weights as one process with the whole batch, the ranks' teachers, queues and centres stay identical, a run
/// resumes with another number of ranks, and bad launches end every rank with an error instead of hanging.
/// </summary>
[Trait("Category", "Distributed")]
[Collection(MpiJobsCollection.Name)]
public sealed class DataParallelTests(PretrainKillResumeTests.FashionMnistRows data, ITestOutputHelper output)
    : IClassFixture<PretrainKillResumeTests.FashionMnistRows>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(180);
    const double Tolerance = 1e-5;

    string[] Args(string method, string outDir, int steps, params string[] extra) => Args(method, outDir, steps, epochs: 2, extra);

    string[] Args(string method, string outDir, int steps, int epochs, params string[] extra) =>
    [
        "pretrain", "--method", method, "--data", data.Path, "--encoder", "resnet18", "--width", "4",
        "--batch-size", "32", "--epochs", epochs.ToString(), "--max-steps", steps.ToString(), "--threads", "1", "--seed", "3",
        "--monitor-every", "0", "--tensorboard", "false", "--checkpoint-every", "2", "--out", outDir,
        // float64 by default: in float32 the rounding of sums in another order (as between 1 and 2 threads) grows over steps
        .. extra.Contains("--precision") ? extra : [.. extra, "--precision", "float64"],
    ];

    static string[] Mpi(string[] args) => [.. args, "--distributed", "mpi", "--collective-timeout", "60"];

    void RunOneProcess(string[] args)
    {
        using var job = MpiJob.Start(1, args); // one rank without --distributed: a plain process
        var (code, _) = job.Wait(JobTimeout);
        output.WriteLine(job.Stdout + job.Stderr);
        Assert.True(code == 0, $"one-process run failed ({code}):\n{job.Stderr}");
    }

    (string Stdout, string Stderr) RunRanks(int ranks, string[] args)
    {
        using var job = MpiJob.Start(ranks, Mpi(args));
        var (code, _) = job.Wait(JobTimeout);
        output.WriteLine(job.Stdout + job.Stderr);
        Assert.True(code == 0, $"{ranks}-rank run failed ({code}):\n{job.Stderr}");
        return (job.Stdout, job.Stderr);
    }

    /// <summary>The largest absolute difference between two checkpoints' parameters and buffers (teachers, queues, BatchNorm statistics).</summary>
    double MaxDifference(string a, string b)
    {
        // Loaded in float64, the precision the runs trained in.
        SslMethod Load(string path)
        {
            var method = Pretraining.BuildMethod(Checkpoint.ReadState(path).Config).Method;
            method.to(ScalarType.Float64);
            Checkpoint.Load(path, method, optimizer: null);
            return method;
        }
        var (ma, mb) = (Load(a), Load(b));
        using (ma)
        using (mb)
        {
            var ta = ma.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(ma.named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);
            var tb = mb.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(mb.named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);
            Assert.Equal(ta.Keys.Order(), tb.Keys.Order());
            var worst = (Name: "", Diff: 0.0);
            foreach (var (name, x) in ta)
            {
                using var d = (x.to(ScalarType.Float64) - tb[name].to(ScalarType.Float64)).abs().max();
                var diff = d.item<double>();
                if (diff > worst.Diff || double.IsNaN(diff)) worst = (name, diff);
            }
            output.WriteLine($"largest difference {worst.Diff:G3} in {worst.Name} ({ta.Count} tensors)");
            return worst.Diff;
        }
    }

    [Theory]
    [InlineData("simclr")]
    [InlineData("byol")]
    public void TwoRanksWithHalfTheBatchTrainAsOneProcess(string method)
    {
        using var dir = new TempDir();
        string one = dir.File("one"), two = dir.File("two");
        RunOneProcess(Args(method, one, steps: 5));
        var (stdout, _) = RunRanks(2, Args(method, two, steps: 5));
        Assert.Contains("2 ranks × 16 images = global batch 32", stdout);
        var diff = MaxDifference(Path.Combine(one, "checkpoints", "last.ckpt"), Path.Combine(two, "checkpoints", "last.ckpt"));
        Assert.True(diff <= Tolerance, $"{method}: 2 ranks × 16 differ from 1 × 32 by {diff:G3} after 5 steps (tolerance {Tolerance:G1})");
        // The logged losses are the global batch's: the same as one process's, step by step.
        var a = MetricsFile.Read(Path.Combine(one, "metrics.jsonl")).Series("loss").Values;
        var b = MetricsFile.Read(Path.Combine(two, "metrics.jsonl")).Series("loss").Values;
        Assert.Equal(5, a.Length);
        Assert.Equal(a.Length, b.Length);
        for (var i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-9, $"step {i + 1}: loss {a[i]} vs {b[i]}");
    }

    /// <summary>
    /// Methods with state beyond the weights (EMA teachers, a queue, a centre, cluster assignments) or batch-wide
    /// losses: the two-rank run passes the state check at every checkpoint (the ranks' parameters and buffers are
    /// bit-identical, or the run stops with an error), and, where the method's ranks see what one process sees, it
    /// ends where one process does. MoCo v2's per-rank BatchNorm differs from one process's by design (the paper's
    /// per-GPU BN), and DeepCluster's clustering reads float32 features, so both check agreement in float32 only.
    /// </summary>
    [Theory]
    [InlineData("dino", true)]
    [InlineData("simsiam", true)]
    [InlineData("moco-v3", true)]
    [InlineData("barlow-twins", true)]
    [InlineData("vicreg", true)]
    [InlineData("triplet", true)]
    [InlineData("moco-v2", false, "--sync-batchnorm", "false", "--precision", "float32")]
    [InlineData("deepcluster", false, "--precision", "float32")]
    public void StateStaysIdenticalOnEveryRank(string method, bool sameAsOneProcess, params string[] extra)
    {
        using var dir = new TempDir();
        string one = dir.File("one"), two = dir.File("two");
        var (stdout, _) = RunRanks(2, Args(method, two, steps: 4, extra));
        Assert.Contains("trained 4/", stdout); // the state check passed at steps 2 and 4
        if (!sameAsOneProcess) return;
        RunOneProcess(Args(method, one, steps: 4, extra));
        var diff = MaxDifference(Path.Combine(one, "checkpoints", "last.ckpt"), Path.Combine(two, "checkpoints", "last.ckpt"));
        Assert.True(diff <= Tolerance, $"{method}: 2 ranks differ from 1 process by {diff:G3} after 4 steps");
    }

    /// <summary>The check has teeth: without SyncBN each rank normalises with its own 16 rows, and the weights part from one process's.</summary>
    [Fact]
    public void WithoutSyncBatchNormTheRanksDiffer()
    {
        using var dir = new TempDir();
        string one = dir.File("one"), two = dir.File("two");
        RunOneProcess(Args("simclr", one, steps: 2));
        RunRanks(2, Args("simclr", two, steps: 2, "--sync-batchnorm", "false"));
        var diff = MaxDifference(Path.Combine(one, "checkpoints", "last.ckpt"), Path.Combine(two, "checkpoints", "last.ckpt"));
        Assert.True(diff > 1e-3, $"without SyncBN 2 ranks should differ from 1 process, but differ by only {diff:G3}");
    }

    /// <summary>A run started on 2 ranks resumes in 1 process, and one started in 1 process resumes on 2, to where an uninterrupted run ends.</summary>
    [Fact]
    public void ResumesWithAnotherNumberOfRanks()
    {
        using var dir = new TempDir();
        string whole = dir.File("whole"), twoThenOne = dir.File("two-then-one"), oneThenTwo = dir.File("one-then-two");
        RunOneProcess(Args("simclr", whole, steps: 5));
        RunRanks(2, Args("simclr", twoThenOne, steps: 3));
        RunOneProcess(["pretrain", "--resume", "--out", twoThenOne, "--max-steps", "5"]);
        RunOneProcess(Args("simclr", oneThenTwo, steps: 3));
        RunRanks(2, ["pretrain", "--resume", "--out", oneThenTwo, "--max-steps", "5"]);
        var wholeCkpt = Path.Combine(whole, "checkpoints", "last.ckpt");
        Assert.True(MaxDifference(wholeCkpt, Path.Combine(twoThenOne, "checkpoints", "last.ckpt")) <= Tolerance, "2 ranks, then 1 process");
        Assert.True(MaxDifference(wholeCkpt, Path.Combine(oneThenTwo, "checkpoints", "last.ckpt")) <= Tolerance, "1 process, then 2 ranks");
        Assert.Equal(5, MetricsFile.Read(Path.Combine(twoThenOne, "metrics.jsonl")).Series("loss").Values.Length);
    }

    /// <summary>Ranks launched with different settings all stop at the start, naming the first setting that differs.</summary>
    [Fact]
    public void RanksWithDifferentSettingsStopWithAClearError()
    {
        using var dir = new TempDir();
        var (code, elapsed, stderr) = RunWithRankOneChanged(dir, "--seed", "4");
        Assert.NotEqual(0, code);
        Assert.Contains("ranks run different configurations: rank 0 has 'seed: 3', rank 1 has 'seed: 4'", stderr);
        Assert.True(elapsed < TimeSpan.FromSeconds(45), $"took {elapsed.TotalSeconds:F0} s: the ranks should stop at once, not at the 60 s collective timeout");
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "checkpoints", "last.ckpt")));
    }

    /// <summary>A rank that fails (here: its data folder does not exist) ends the whole job with its error, without the others waiting for it.</summary>
    [Fact]
    public void AFailingRankEndsTheJob()
    {
        using var dir = new TempDir();
        var (code, elapsed, stderr) = RunWithRankOneChanged(dir, "--data", dir.File("no-such-folder"));
        Assert.NotEqual(0, code);
        Assert.Contains("error: rank 1 of 2:", stderr);
        Assert.Contains("no-such-folder", stderr);
        Assert.True(elapsed < TimeSpan.FromSeconds(45), $"took {elapsed.TotalSeconds:F0} s: rank 0 should be ended at once, not at the 60 s collective timeout");
    }

    /// <summary>A 2-rank job whose rank 1 has <paramref name="flag"/> set to <paramref name="value"/>, run to its end.</summary>
    (int Code, TimeSpan Elapsed, string Stderr) RunWithRankOneChanged(TempDir dir, string flag, string value)
    {
        var args = Mpi(Args("simclr", dir.File("run"), steps: 4));
        var changed = args.ToArray();
        changed[Array.IndexOf(changed, flag) + 1] = value;
        using var job = MpiJob.StartEach(args, changed);
        var (code, elapsed) = job.Wait(JobTimeout);
        output.WriteLine(job.Stderr);
        return (code, elapsed, job.Stderr);
    }

    /// <summary>A rank killed during training (SIGKILL) ends the job: mpirun stops the other rank.</summary>
    [Fact]
    public void AKilledRankEndsTheJob()
    {
        using var dir = new TempDir();
        var (job, rankOne) = LongRunAtItsSecondStep(dir, "--collective-timeout", "60");
        using (job)
        {
            System.Diagnostics.Process.GetProcessById(rankOne).Kill();
            var (code, elapsed) = job.Wait(JobTimeout);
            output.WriteLine(job.Stderr);
            Assert.NotEqual(0, code);
            Assert.True(elapsed < TimeSpan.FromSeconds(45), $"took {elapsed.TotalSeconds:F0} s after the kill");
        }
    }

    /// <summary>A rank that stops responding (SIGSTOP) leaves the other waiting in a collective: it times out, says so, and aborts the job.</summary>
    [Fact]
    public void AStuckRankTimesOutAndAbortsTheJob()
    {
        using var dir = new TempDir();
        var (job, rankOne) = LongRunAtItsSecondStep(dir, "--collective-timeout", "15"); // long enough for a loaded machine's start-up
        using (job)
        {
            Assert.Equal(0, kill(rankOne, 19)); // SIGSTOP
            var (code, elapsed) = job.Wait(JobTimeout);
            output.WriteLine(job.Stderr);
            Assert.NotEqual(0, code);
            Assert.Contains("error: rank 0 of 2: the collective", job.Stderr);
            Assert.Contains("did not complete within 15 s (collective timeout)", job.Stderr);
            Assert.True(elapsed < TimeSpan.FromSeconds(75), $"took {elapsed.TotalSeconds:F0} s after the rank stopped");
        }
    }

    /// <summary>A 2-rank run far from its end, once it has logged a step, and rank 1's process id.</summary>
    (MpiJob Job, int RankOne) LongRunAtItsSecondStep(TempDir dir, params string[] collectiveTimeout)
    {
        var job = MpiJob.Start(2, [.. Args("simclr", dir.File("run"), steps: 400, epochs: 50), "--distributed", "mpi", .. collectiveTimeout]);
        WaitFor(() => job.Stdout.Contains("simclr step "), job); // the first progress line
        var pids = job.RankPids();
        Assert.True(pids.ContainsKey(1), $"rank 1 not found among mpirun's children ({string.Join(", ", pids)})");
        return (job, pids[1]);
    }

    /// <summary>SIGINT to mpirun stops both ranks at one step with a checkpoint, and the printed command resumes the run to its end.</summary>
    [Fact]
    public void AnInterruptStopsEveryRankAtOneStepAndResumes()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        using (var job = MpiJob.Start(2, Mpi(Args("simclr", run, steps: 400, epochs: 50))))
        {
            WaitFor(() => job.Stdout.Contains("simclr step "), job); // the first progress line
            job.Signal(2); // SIGINT
            job.Wait(JobTimeout); // mpirun itself exits non-zero once signalled, though its ranks exit 0
            output.WriteLine(job.Stdout + job.Stderr);
            Assert.DoesNotContain("error:", job.Stderr);
            Assert.Contains($"resume with: mpirun -np 2 selfsup pretrain --resume --out {run} --max-steps 400 --distributed mpi", job.Stdout);
            Assert.Single(job.Stdout.Split('\n'), l => l.Contains("interrupted after step", StringComparison.Ordinal)); // rank 0 alone prints
        }
        var stopped = (int)Checkpoint.ReadState(Path.Combine(run, "checkpoints", "last.ckpt")).Step;
        RunRanks(2, ["pretrain", "--resume", "--out", run, "--max-steps", $"{stopped + 2}"]);
        Assert.Equal(stopped + 2, Checkpoint.ReadState(Path.Combine(run, "checkpoints", "last.ckpt")).Step);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    static void WaitFor(Func<bool> condition, MpiJob job)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > JobTimeout) throw new TimeoutException($"waited {JobTimeout.TotalSeconds:F0} s\nstdout:\n{job.Stdout}\nstderr:\n{job.Stderr}");
            Thread.Sleep(100);
        }
    }
}
