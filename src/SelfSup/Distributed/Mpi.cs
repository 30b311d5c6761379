using System.Diagnostics;

namespace SelfSup.Distributed;

/// <summary>
/// One process's MPI session on MPI_COMM_WORLD: rank, size and the collectives SelfSup needs, each started
/// non-blocking and waited on with a deadline. A collective that does not complete in <see cref="Timeout"/> (a rank
/// died, hangs, or runs a different configuration and so calls different collectives) prints which one and aborts
/// every rank through MPI_Abort, so a bad launch ends with an error instead of hanging.
/// </summary>
public sealed unsafe class Mpi
{
    static Mpi? current;
    static readonly object gate = new();

    readonly MpiLibrary lib;

    public int Rank { get; }
    public int Size { get; }
    /// <summary>How long one collective may wait for the other ranks before the job is aborted.</summary>
    public TimeSpan Timeout { get; set; }
    public MpiLibrary Library => lib;
    /// <summary>Seconds spent in collectives so far (moving data and waiting for slower ranks).</summary>
    public double CollectiveSeconds { get; private set; }
    /// <summary>Collectives completed so far.</summary>
    public long Collectives { get; private set; }

    /// <summary>The default <see cref="Timeout"/>: long enough for rank 0's evaluation work between steps (online probe, pictures).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    Mpi(MpiLibrary lib, int rank, int size, TimeSpan timeout)
    {
        this.lib = lib;
        Rank = rank;
        Size = size;
        Timeout = timeout;
    }

    /// <summary>The process's MPI session, initialised on first use (MPI_Init_thread with MPI_THREAD_SERIALIZED); null until then.</summary>
    public static Mpi? Current => current;

    /// <summary>Initialises MPI once per process (later calls return the same session and update the timeout).</summary>
    public static Mpi Initialize(TimeSpan? timeout = null)
    {
        lock (gate)
        {
            if (current is not null)
            {
                if (timeout is { } t) current.Timeout = t;
                return current;
            }
            var lib = MpiLibrary.Load();
            int initialized, provided, rank, size;
            Check(lib.Initialized(&initialized), "MPI_Initialized");
            if (initialized == 0)
                // Collectives may be called from whichever thread runs the training loop, one at a time.
                Check(lib.InitThread(null, 0, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
            else provided = MpiLibrary.ThreadSerialized;
            if (provided < MpiLibrary.ThreadSerialized)
                throw new PlatformNotSupportedException($"{lib.Path}: MPI provides thread level {provided}; SelfSup needs MPI_THREAD_SERIALIZED ({MpiLibrary.ThreadSerialized})");
            Check(lib.CommRank(lib.CommWorld, &rank), "MPI_Comm_rank");
            Check(lib.CommSize(lib.CommWorld, &size), "MPI_Comm_size");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => current?.Shutdown();
            return current = new Mpi(lib, rank, size, timeout ?? DefaultTimeout);
        }
    }

    /// <summary>MPI_Finalize, once, if MPI was initialised and not yet finalised.</summary>
    public void Shutdown()
    {
        int finalized;
        if (lib.Finalized(&finalized) == MpiLibrary.Success && finalized == 0) lib.Finalize();
    }

    /// <summary>Ends every rank of the job with <paramref name="code"/> (MPI_Abort on MPI_COMM_WORLD).</summary>
    public void Abort(int code)
    {
        Console.Error.Flush();
        Console.Out.Flush();
        lib.Abort(lib.CommWorld, code);
        Environment.Exit(code); // MPI_Abort does not return; this is in case an implementation does
    }

    /// <summary>Element-wise sum over all ranks, in place: <paramref name="count"/> values of <paramref name="datatype"/> at <paramref name="buffer"/>.</summary>
    public void AllReduceSum(nint buffer, int count, nint datatype, string what)
    {
        nint request;
        Check(lib.Iallreduce(lib.InPlace, buffer, count, datatype, lib.Sum, lib.CommWorld, &request), "MPI_Iallreduce");
        Wait(ref request, what);
    }

    /// <summary>
    /// Every rank's <paramref name="sendCount"/> values gathered into <paramref name="receive"/> in rank order;
    /// <paramref name="counts"/>[r] values come from rank r.
    /// </summary>
    public void AllGatherV(nint send, int sendCount, nint receive, int[] counts, nint datatype, string what)
    {
        if (counts.Length != Size) throw new ArgumentException($"allgatherv: {counts.Length} counts for {Size} ranks");
        var displacements = new int[Size];
        for (var r = 1; r < Size; r++) displacements[r] = checked(displacements[r - 1] + counts[r - 1]);
        nint request;
        fixed (int* c = counts)
        fixed (int* d = displacements)
        {
            Check(lib.Iallgatherv(send, sendCount, datatype, receive, c, d, datatype, lib.CommWorld, &request), "MPI_Iallgatherv");
            Wait(ref request, what);
        }
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="count"/> values at <paramref name="buffer"/>, copied to every rank.</summary>
    public void Broadcast(nint buffer, int count, nint datatype, int root, string what)
    {
        nint request;
        Check(lib.Ibcast(buffer, count, datatype, root, lib.CommWorld, &request), "MPI_Ibcast");
        Wait(ref request, what);
    }

    /// <summary>Waits until every rank has reached this point.</summary>
    public void Barrier(string what)
    {
        nint request;
        Check(lib.Ibarrier(lib.CommWorld, &request), "MPI_Ibarrier");
        Wait(ref request, what);
    }

    /// <summary>One int per rank, gathered on every rank.</summary>
    public int[] AllGather(int value, string what)
    {
        var all = new int[Size];
        var counts = Enumerable.Repeat(1, Size).ToArray();
        fixed (int* a = all) AllGatherV((nint)(&value), 1, (nint)a, counts, lib.Int, what);
        return all;
    }

    /// <summary>Each rank's bytes (of any length), gathered on every rank in rank order.</summary>
    public byte[][] AllGather(byte[] bytes, string what)
    {
        var counts = AllGather(bytes.Length, what + " (lengths)");
        var all = new byte[counts.Sum()];
        fixed (byte* s = bytes)
        fixed (byte* a = all)
            AllGatherV((nint)s, bytes.Length, (nint)a, counts, lib.Byte, what);
        var result = new byte[Size][];
        for (int r = 0, offset = 0; r < Size; offset += counts[r], r++) result[r] = all.AsSpan(offset, counts[r]).ToArray();
        return result;
    }

    /// <summary>
    /// Polls the request until it completes or <see cref="Timeout"/> passes. It spins first (collectives between steps
    /// are short and latency counts), then yields, then sleeps, so a rank waiting for a slow one leaves it the CPU.
    /// </summary>
    void Wait(ref nint request, string what)
    {
        var clock = Stopwatch.StartNew();
        int done = 0;
        for (long polls = 0; ; polls++)
        {
            fixed (nint* r = &request) Check(lib.Test(r, &done, lib.StatusIgnore), "MPI_Test");
            if (done != 0)
            {
                CollectiveSeconds += clock.Elapsed.TotalSeconds;
                Collectives++;
                return;
            }
            if (polls < 2000) continue;
            var elapsed = clock.Elapsed;
            if (elapsed > Timeout) TimedOut(what, elapsed);
            if (elapsed.TotalMilliseconds < 20) Thread.Yield();
            else Thread.Sleep(1);
        }
    }

    void TimedOut(string what, TimeSpan waited)
    {
        Console.Error.WriteLine(
            $"error: rank {Rank} of {Size}: the collective '{what}' did not complete within {waited.TotalSeconds:F0} s (collective timeout). " +
            "Another rank has died, is stuck, or runs a different configuration; aborting all ranks.");
        Abort(3);
    }

    static void Check(int code, string call)
    {
        if (code != MpiLibrary.Success) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }
}
