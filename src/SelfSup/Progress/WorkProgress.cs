namespace SelfSup.Progress;

/// <summary>
/// Ambient progress for long steps (feature extraction, k-NN, t-SNE, label-efficiency grids, decoding, indexing):
/// the code doing the work starts a <see cref="ProgressMeter"/>; whoever shows progress (the CLI's bar or log lines,
/// or a library user) listens. Ambient, so deep loops need no extra parameter on every signature; flowing with the
/// async context, so parallel callers (tests, servers) do not see each other's work.
/// </summary>
public static class WorkProgress
{
    static readonly AsyncLocal<IProgress<WorkStatus>?> listener = new();
    static long nextId;

    /// <summary>The listener work started from this context reports to, or null.</summary>
    public static IProgress<WorkStatus>? Current => listener.Value;

    /// <summary>Sends the progress of work started in this context to <paramref name="sink"/> until disposed (then the previous listener is back).</summary>
    public static IDisposable Listen(IProgress<WorkStatus> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var previous = listener.Value;
        listener.Value = sink;
        return new Restore(previous);
    }

    /// <summary>A meter for <paramref name="total"/> <paramref name="unit"/> of work named <paramref name="name"/>; it reports nowhere when nobody listens.</summary>
    public static ProgressMeter Start(string name, long total, string unit) =>
        new(Interlocked.Increment(ref nextId), name, total, unit, listener.Value);

    sealed class Restore(IProgress<WorkStatus>? previous) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            listener.Value = previous;
        }
    }
}
