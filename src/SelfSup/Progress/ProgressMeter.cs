using System.Diagnostics;

namespace SelfSup.Progress;

/// <summary>
/// Counts one piece of work and reports each change to the listener current when it started. Disposing reports
/// the work as finished (also when an exception ends it early), so a display never keeps a stale bar.
/// </summary>
public sealed class ProgressMeter : IDisposable
{
    readonly IProgress<WorkStatus>? sink;
    readonly Stopwatch clock = Stopwatch.StartNew();
    bool finished;

    internal ProgressMeter(long id, string name, long total, string unit, IProgress<WorkStatus>? sink)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, $"progress '{name}': the total must not be negative");
        Id = id;
        Name = name;
        Total = total;
        Unit = unit;
        this.sink = sink;
        sink?.Report(Status());
    }

    public long Id { get; }
    public string Name { get; }
    public long Total { get; }
    public string Unit { get; }
    /// <summary>Units done so far.</summary>
    public long Done { get; private set; }

    /// <summary>Adds <paramref name="count"/> units done.</summary>
    public void Advance(long count = 1) => Set(Done + count);

    /// <summary>Sets the units done (clamped to the total).</summary>
    public void Set(long done)
    {
        Done = Math.Clamp(done, 0, Total);
        sink?.Report(Status());
    }

    /// <summary>The status as a listener would see it now.</summary>
    public WorkStatus Status() => new(Id, Name, Done, Total, Unit, clock.Elapsed, finished);

    public void Dispose()
    {
        if (finished) return;
        finished = true;
        sink?.Report(Status());
    }
}
