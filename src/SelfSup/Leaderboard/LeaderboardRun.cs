using System.Diagnostics;
using SelfSup.Methods;

namespace SelfSup.Leaderboard;

/// <summary>What happened to one method in a <see cref="LeaderboardRun"/>: its status and whether an earlier result was kept.</summary>
public sealed record MethodOutcome(string Method, string Status, string ResultPath, bool Reused);

/// <summary>
/// Runs a leaderboard method by method, resumably: each method writes its own result file
/// (<c>OUT/DATASET/METHOD/result.json</c>) when it finishes, a rerun keeps every finished (done or skipped) result made
/// under the same budget and batch size, a method that throws is recorded as failed (and tried again by the next run)
/// while the others go on, and text methods are recorded as skipped with the reason.
/// </summary>
public static class LeaderboardRun
{
    /// <summary>The folder name of a dataset: its built-in name, or the last part of its path.</summary>
    public static string DatasetKey(string data)
    {
        var name = Path.GetFileName(data.TrimEnd('/', '\\'));
        var key = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('.');
        return key.Length > 0 ? key : throw new ArgumentException($"--data: cannot name a folder after '{data}'");
    }

    public static string MethodDir(string outDir, string data, string method) => Path.Combine(outDir, DatasetKey(data), method);

    public static string ResultPath(string outDir, string data, string method) => Path.Combine(MethodDir(outDir, data, method), "result.json");

    /// <param name="methods">The methods, in the order they run.</param>
    /// <param name="train">Trains and evaluates one method in its folder (<see cref="MethodBench.Run"/>); an exception marks it failed.</param>
    /// <param name="force">Rerun methods that already have a finished result.</param>
    /// <param name="written">Called with each result file written (e.g. to copy it into docs/results).</param>
    public static IReadOnlyList<MethodOutcome> Run(IReadOnlyList<MethodInfo> methods, BenchProtocol protocol, string outDir,
        ResultProvenance provenance, Func<MethodInfo, string, LeaderboardEntry> train, bool force = false,
        IProgress<string>? log = null, Action<string>? written = null)
    {
        var outcomes = new List<MethodOutcome>();
        foreach (var method in methods)
        {
            var path = ResultPath(outDir, protocol.Data, method.Name);
            if (!force && Finished(path, protocol, log) is { } kept)
            {
                log?.Report($"{method.Name}: finished earlier ({kept.Status}), kept {path}");
                outcomes.Add(new MethodOutcome(method.Name, kept.Status, path, Reused: true));
                continue;
            }
            var entry = RunOne(method, protocol, MethodDir(outDir, protocol.Data, method.Name), train, log);
            new LeaderboardResultFile(provenance, entry).Save(path);
            log?.Report($"{method.Name}: {entry.Status}, wrote {path}");
            written?.Invoke(path);
            outcomes.Add(new MethodOutcome(method.Name, entry.Status, path, Reused: false));
        }
        return outcomes;
    }

    static LeaderboardEntry RunOne(MethodInfo method, BenchProtocol protocol, string dir, Func<MethodInfo, string, LeaderboardEntry> train, IProgress<string>? log)
    {
        var setup = protocol.SetupFor(method);
        var skipped = new LeaderboardEntry
        {
            Method = method.Name,
            Family = method.Family,
            Dataset = protocol.Data,
            Status = EntryStatus.Skipped,
            BatchSize = protocol.BatchSize,
            Note = BenchProtocol.Note(method),
        };
        if (BenchProtocol.SkipReason(method) is { } reason)
        {
            log?.Report($"{method.Name}: skipped ({reason})");
            return skipped with { Error = reason };
        }
        var clock = Stopwatch.StartNew();
        try
        {
            log?.Report($"{method.Name}: {setup.Describe()}, budget {protocol.BudgetSeconds:F0} s");
            return train(method, dir);
        }
        catch (Exception e)
        {
            log?.Report($"{method.Name}: failed: {e.Message}");
            return skipped with
            {
                Status = EntryStatus.Failed,
                Error = $"{e.GetType().Name}: {e.Message}",
                Encoder = setup.Describe(),
                Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            };
        }
        finally
        {
            // Native tensors of a failed or finished method go before the next method allocates its own.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>The finished result at <paramref name="path"/> made under this protocol's budget and batch size, or null.</summary>
    static LeaderboardEntry? Finished(string path, BenchProtocol protocol, IProgress<string>? log)
    {
        if (!File.Exists(path)) return null;
        LeaderboardEntry entry;
        try { entry = LeaderboardResultFile.Load(path).Entry; }
        catch (InvalidDataException e)
        {
            log?.Report($"{path}: unreadable ({e.Message}); running the method again");
            return null;
        }
        if (entry.Status == EntryStatus.Skipped) return entry;
        if (entry.Status != EntryStatus.Done) return null;
        if (entry.BatchSize != protocol.BatchSize || entry.Plan is not { } plan || Math.Abs(plan.BudgetSeconds - protocol.BudgetSeconds) > 1e-6)
        {
            log?.Report($"{path}: made with budget {entry.Plan?.BudgetSeconds:F0} s and batch {entry.BatchSize}, not {protocol.BudgetSeconds:F0} s and {protocol.BatchSize}; running again");
            return null;
        }
        return entry;
    }
}
