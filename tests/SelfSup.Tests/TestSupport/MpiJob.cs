using System.Diagnostics;
using System.Text;

namespace SelfSup.Tests.TestSupport;

/// <summary>
/// `mpirun` running the test output folder's SelfSup.Cli.dll, one command per rank group (Open MPI's
/// `cmd1 : cmd2` form when the ranks differ). Root may launch (as CI does), and ranks may outnumber cores.
/// </summary>
internal sealed class MpiJob : IDisposable
{
    readonly Process process;
    readonly StringBuilder stdout = new(), stderr = new();
    readonly Lock gate = new();

    MpiJob(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Mpirun, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        // Shared-memory transfers without cross-process memory reads, which containers often forbid (ptrace scope).
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (gate) stdout.AppendLine(l); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (gate) stderr.AppendLine(l); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The mpirun on PATH; a clear failure when Open MPI is not installed (scripts/setup-test-data.sh installs it).</summary>
    public static string Mpirun => Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; scripts/setup-test-data.sh does)");

    static IEnumerable<string> Rank(int count, string[] cliArgs) =>
        ["-np", count.ToString(), Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet", Path.Combine(AppContext.BaseDirectory, "SelfSup.Cli.dll"), .. cliArgs];

    /// <summary><paramref name="ranks"/> ranks all running `selfsup <paramref name="cliArgs"/>`.</summary>
    public static MpiJob Start(int ranks, params string[] cliArgs) => new(Rank(ranks, cliArgs));

    /// <summary>One rank per argument list (rank r runs <paramref name="perRank"/>[r]).</summary>
    public static MpiJob StartEach(params string[][] perRank) => new(perRank.SelectMany((a, i) => (i == 0 ? Array.Empty<string>() : [":"]).Concat(Rank(1, a))));

    public string Stdout { get { lock (gate) return stdout.ToString(); } }
    public string Stderr { get { lock (gate) return stderr.ToString(); } }

    /// <summary>Waits for mpirun to end; returns its exit code and how long it took, or throws after <paramref name="timeout"/>.</summary>
    public (int ExitCode, TimeSpan Elapsed) Wait(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not end within {timeout.TotalSeconds:F0} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        process.WaitForExit(); // drains the output
        return (process.ExitCode, clock.Elapsed);
    }

    /// <summary>The pids of the ranks mpirun started (its descendants whose environment names an MPI rank), by rank.</summary>
    public Dictionary<int, int> RankPids()
    {
        var result = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                var rank = env.FirstOrDefault(e => e.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal));
                if (rank is null || !IsDescendant(pid)) continue;
                result[int.Parse(rank.Split('=')[1])] = pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }

    bool IsDescendant(int pid)
    {
        for (var p = pid; p > 1;)
        {
            if (p == process.Id) return true;
            var stat = File.ReadAllText($"/proc/{p}/stat");
            p = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        return false;
    }

    /// <summary>Sends <paramref name="signal"/> to mpirun (which passes SIGINT and SIGTERM on to the ranks).</summary>
    public void Signal(int signal)
    {
        if (kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
