using System.Diagnostics;
using System.Text.RegularExpressions;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

/// <summary>
/// The real `selfsup pretrain` in a child process, stopped by SIGTERM, or by SIGINT with SIGTERM right behind (an
/// impatient user, a supervisor): it finishes the step, writes a checkpoint, exits 0 and prints the command that
/// resumes it, which then trains to the end.
/// </summary>
public partial class StopSignalTests
{
    const int Steps = 100; // of 3 steps/epoch × 60 epochs

    [GeneratedRegex(@"^interrupted after step (\d+)/180; checkpoint (.+)$", RegexOptions.Multiline)]
    private static partial Regex InterruptedLine();

    [GeneratedRegex(@"^resume with: selfsup (.+)$", RegexOptions.Multiline)]
    private static partial Regex ResumeLine();

    static int LoggedSteps(string metricsPath)
    {
        if (!File.Exists(metricsPath)) return 0;
        using var stream = new FileStream(metricsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Count(l => l.Contains("\"loss\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TERM", null)]
    [InlineData("INT", "TERM")] // back to back: the runtime may run either handler first; the other finds the run already stopping
    public async Task Signal_StopsAfterTheStep_WithACheckpoint_ExitsZero_AndTheResumeLineFinishesTheRun(string first, string? second)
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data")); // 24 training images: 3 steps of 8 per epoch
        var run = dir.File("run");
        var cli = Path.Combine(AppContext.BaseDirectory, "SelfSup.Cli.dll");
        // A process started with SIGINT ignored (a background job of a script, as test runners often are) passes that
        // on, and the runtime leaves an ignored SIGINT ignored: env starts the CLI with both signals at their defaults.
        var start = new ProcessStartInfo("/usr/bin/env",
            ["--default-signal=INT,TERM", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", cli, "pretrain", "--method", "simclr", "--data", data, "--encoder", "convnet", "--width", "4", "--epochs", "60", "--batch-size", "8",
             "--max-steps", $"{Steps}", "--set", "projection_hidden_dim=16", "--set", "projection_dim=8", "--checkpoint-every", "0",
             "--monitor-every", "0", "--tensorboard", "false", "--threads", "1", "--out", run])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var metrics = Path.Combine(run, "metrics.jsonl");
        var clock = Stopwatch.StartNew();
        while (LoggedSteps(metrics) < 3 && !child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(20);
        if (child.HasExited) Assert.Fail($"the run ended before it could be stopped: {await stdout}{await stderr}");

        using (var kill = Process.Start("/bin/sh", ["-c", second is null ? $"kill -{first} {child.Id}" : $"kill -{first} {child.Id}; kill -{second} {child.Id}"])) await kill.WaitForExitAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await child.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        var errors = await stderr;
        Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode}\n{output}\n{errors}");
        var signals = second is null ? [first] : new[] { first, second };
        foreach (var signal in signals) Assert.Matches($"(?m)^SIG{signal}: (stopping after the current step and writing a checkpoint|already stopping; exiting once the checkpoint is written)$", errors);
        Assert.Single(Regex.Matches(errors, "stopping after the current step"));
        Assert.Equal(signals.Length - 1, Regex.Matches(errors, "already stopping").Count);
        var stopped = InterruptedLine().Match(output);
        Assert.True(stopped.Success, output);
        var step = long.Parse(stopped.Groups[1].Value);
        Assert.InRange(step, 3, Steps - 1);
        var checkpoint = Path.Combine(run, "checkpoints", "last.ckpt");
        Assert.Equal(checkpoint, stopped.Groups[2].Value.TrimEnd());
        Assert.Equal(step, Checkpoint.ReadState(checkpoint).Step);
        Assert.Equal(step, TrainerTests.StepLosses(metrics).Count);
        var resume = ResumeLine().Match(output);
        Assert.True(resume.Success, output);
        Assert.Equal($"pretrain --resume --out {run} --max-steps {Steps}", resume.Groups[1].Value.TrimEnd());

        Assert.Equal(0, CliApp.Run(resume.Groups[1].Value.TrimEnd().Split(' ')));

        Assert.Equal(Steps, Checkpoint.ReadState(checkpoint).Step);
        Assert.Equal(Enumerable.Range(1, Steps).Select(i => (long)i), TrainerTests.StepLosses(metrics).Keys.Order());
    }
}
