using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SelfSup.Tests.TestSupport;

/// <summary>
/// When a <see cref="KillablePretrain"/> process is killed. Every moment has a latest point (the next step line), so
/// one segment of a run never makes more than a bounded number of steps however fast the machine is.
/// </summary>
internal abstract record KillMoment
{
    /// <summary><see cref="After"/> the start: while .NET, libtorch and the data load, or while a resumed run reads its checkpoint and cuts its logs; at the latest at the first step line.</summary>
    public sealed record DuringStartup(TimeSpan After) : KillMoment;

    /// <summary><see cref="After"/> the process printed its <see cref="Line"/>-th step line (that step's checkpoint is written next); at the latest at the line after.</summary>
    public sealed record AfterStepLine(int Line, TimeSpan After) : KillMoment;

    /// <summary><see cref="After"/> the <see cref="Write"/>-th checkpoint write began (last.ckpt.tmp created, not yet renamed); at the latest at the step line after.</summary>
    public sealed record DuringCheckpointWrite(int Write, TimeSpan After) : KillMoment;

    /// <summary>One of the three, with its parameters drawn from <paramref name="rng"/>.</summary>
    public static KillMoment Draw(Random rng) => rng.Next(3) switch
    {
        0 => new DuringStartup(TimeSpan.FromMilliseconds(rng.Next(500, 4000))),
        1 => new AfterStepLine(1 + rng.Next(2), TimeSpan.FromMilliseconds(rng.Next(150))),
        _ => new DuringCheckpointWrite(1 + rng.Next(2), TimeSpan.FromMicroseconds(rng.Next(2000))),
    };

    /// <summary>The most steps a segment killed at this moment can have logged.</summary>
    public int MostSteps => this switch
    {
        DuringStartup => 1,
        AfterStepLine a => a.Line + 1,
        DuringCheckpointWrite c => c.Write + 1,
        _ => throw new InvalidOperationException(),
    };

    public sealed override string ToString() => this switch
    {
        DuringStartup s => $"{s.After.TotalMilliseconds:F0} ms after start",
        AfterStepLine a => $"{a.After.TotalMilliseconds:F0} ms after step line {a.Line}",
        DuringCheckpointWrite c => $"{c.After.TotalMilliseconds:F3} ms after checkpoint write {c.Write} began",
        _ => throw new InvalidOperationException(),
    };
}

/// <summary>
/// `selfsup pretrain` as a child process (the test output folder's SelfSup.Cli.dll on the running dotnet host), killed
/// with SIGKILL at a <see cref="KillMoment"/> (none: left to finish).
/// </summary>
internal sealed partial class KillablePretrain : IDisposable
{
    /// <summary>The exit code of a process killed by SIGKILL (128 + 9).</summary>
    public const int KilledExitCode = 137;

    readonly Process process;
    readonly Stopwatch clock = new();
    readonly KillMoment? moment;
    readonly FileSystemWatcher? watcher;
    readonly Lock gate = new();
    readonly System.Text.StringBuilder stdout = new(), stderr = new();
    Timer? timer;
    int stepLines, checkpointWrites, fired;

    KillablePretrain(string[] args, string checkpointDir, KillMoment? moment)
    {
        this.moment = moment;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "SelfSup.Cli.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, stdout, step: true);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, stderr, step: false);
        if (moment is KillMoment.DuringCheckpointWrite)
        {
            Directory.CreateDirectory(checkpointDir);
            watcher = new FileSystemWatcher(checkpointDir, "last.ckpt.tmp") { NotifyFilter = NotifyFilters.FileName };
            watcher.Created += (_, _) => OnCheckpointWrite();
            watcher.EnableRaisingEvents = true;
        }
        clock.Start();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (moment is KillMoment.DuringStartup s) timer = new Timer(_ => Kill(), null, s.After, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts `selfsup <paramref name="args"/>`; <paramref name="checkpointDir"/> is watched for checkpoint writes.</summary>
    public static KillablePretrain Start(string[] args, string checkpointDir, KillMoment? kill = null) => new(args, checkpointDir, kill);

    /// <summary>Whether the process was killed (rather than finishing first); valid after <see cref="WaitForExit"/>.</summary>
    public bool Killed => fired == 1 && process.ExitCode == KilledExitCode;

    /// <summary>When the kill was sent, from the start.</summary>
    public TimeSpan KilledAt { get; private set; }

    /// <summary>Step lines the process printed before it ended.</summary>
    public int StepLines => stepLines;

    public string Stdout { get { lock (gate) return stdout.ToString(); } }

    public string Stderr { get { lock (gate) return stderr.ToString(); } }

    /// <summary>Waits for the process to end (killing it after <paramref name="timeout"/>) and returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            process.WaitForExit();
            throw new TimeoutException($"selfsup {string.Join(' ', process.StartInfo.ArgumentList.Skip(1))} did not end in {timeout.TotalSeconds:F0} s; stderr: {Stderr}");
        }
        process.WaitForExit(); // drains the redirected output
        return process.ExitCode;
    }

    [GeneratedRegex(@" step (\d+)/(\d+) ")]
    private static partial Regex StepLine();

    void OnLine(string? line, System.Text.StringBuilder into, bool step)
    {
        if (line is null) return;
        lock (gate) into.AppendLine(line);
        if (!step || !StepLine().IsMatch(line)) return;
        var n = Interlocked.Increment(ref stepLines);
        switch (moment)
        {
            case KillMoment.DuringStartup:
                Kill();
                break;
            case KillMoment.AfterStepLine a when n == a.Line:
                timer = new Timer(_ => Kill(), null, a.After, Timeout.InfiniteTimeSpan);
                break;
            case KillMoment.AfterStepLine a when n > a.Line:
                Kill();
                break;
            case KillMoment.DuringCheckpointWrite c when n > c.Write:
                Kill();
                break;
        }
    }

    void OnCheckpointWrite()
    {
        if (moment is not KillMoment.DuringCheckpointWrite c || Interlocked.Increment(ref checkpointWrites) != c.Write) return;
        var until = clock.Elapsed + c.After;
        while (clock.Elapsed < until) Thread.SpinWait(10);
        Kill();
    }

    void Kill()
    {
        if (Interlocked.Exchange(ref fired, 1) == 1) return;
        KilledAt = clock.Elapsed;
        try
        {
            process.Kill(); // SIGKILL on Unix
        }
        catch (InvalidOperationException)
        {
            // it had already exited
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        watcher?.Dispose();
        process.Dispose();
    }
}
