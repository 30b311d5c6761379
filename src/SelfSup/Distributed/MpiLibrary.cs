using System.Runtime.InteropServices;

namespace SelfSup.Distributed;

/// <summary>
/// The part of the MPI C API SelfSup uses, loaded at run time from the Open MPI shared library, so that nothing
/// needs MPI until a run asks for it. Only Open MPI's ABI is bound: its handles (communicators, datatypes,
/// operations, requests) are pointers to exported globals, whereas MPICH and its derivatives (Intel MPI, MVAPICH,
/// Cray MPICH) use 32-bit integer handles with other constants. Loading an MPICH library is refused with that
/// reason instead of passing it handles it would misread.
/// </summary>
public sealed unsafe class MpiLibrary
{
    /// <summary>Environment variable naming the libmpi to load instead of the default.</summary>
    public const string LibraryVariable = "SELFSUP_MPI_LIBRARY";
    /// <summary>Open MPI 3–5's shared library soname.</summary>
    public const string DefaultLibrary = "libmpi.so.40";

    public const int Success = 0;
    public const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED, the same value in Open MPI and MPICH

    public string Path { get; }
    public nint CommWorld { get; }
    public nint Byte { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Int { get; }
    public nint Int64 { get; }
    public nint Sum { get; }
    /// <summary>MPI_IN_PLACE: (void*)1 in Open MPI.</summary>
    public nint InPlace => 1;
    /// <summary>MPI_STATUS_IGNORE: NULL in Open MPI.</summary>
    public nint StatusIgnore => 0;

    internal readonly delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    internal readonly delegate* unmanaged<int*, int> Initialized;
    internal readonly delegate* unmanaged<int*, int> Finalized;
    internal readonly delegate* unmanaged<int> Finalize;
    internal readonly delegate* unmanaged<nint, int*, int> CommRank;
    internal readonly delegate* unmanaged<nint, int*, int> CommSize;
    internal readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int> Iallreduce;
    internal readonly delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, nint, nint*, int> Iallgatherv;
    internal readonly delegate* unmanaged<nint, int, nint, int, nint, nint*, int> Ibcast;
    internal readonly delegate* unmanaged<nint, nint*, int> Ibarrier;
    internal readonly delegate* unmanaged<nint*, int*, nint, int> Test;
    internal readonly delegate* unmanaged<nint, int, int> Abort;
    internal readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;
    readonly delegate* unmanaged<int> queryCudaSupport;

    MpiLibrary(string path, nint handle)
    {
        Path = path;
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out var p)
            ? p
            : throw new InvalidOperationException($"{path}: the MPI library has no symbol '{name}'");
        if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var world))
        {
            var version = NativeLibrary.TryGetExport(handle, "MPI_Get_library_version", out var v) ? ReadVersion((delegate* unmanaged<byte*, int*, int>)v) : "unknown";
            throw new PlatformNotSupportedException(
                $"{path} is not Open MPI (library version: {version}). SelfSup binds Open MPI's ABI only (its handles are pointers; " +
                $"MPICH, Intel MPI and MVAPICH use integer handles). Install Open MPI (Debian: openmpi-bin libopenmpi-dev) or point {LibraryVariable} at its libmpi.so.40.");
        }
        CommWorld = world;
        Byte = Export("ompi_mpi_byte");
        Float = Export("ompi_mpi_float");
        Double = Export("ompi_mpi_double");
        Int = Export("ompi_mpi_int");
        Int64 = Export("ompi_mpi_int64_t");
        Sum = Export("ompi_mpi_op_sum");
        InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        Iallreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
        Iallgatherv = (delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, nint, nint*, int>)Export("MPI_Iallgatherv");
        Ibcast = (delegate* unmanaged<nint, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, nint, int>)Export("MPI_Test");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
        // Open MPI's extension: whether this build passes device (CUDA) buffers directly.
        queryCudaSupport = NativeLibrary.TryGetExport(handle, "MPIX_Query_cuda_support", out var q) ? (delegate* unmanaged<int>)q : null;
    }

    static MpiLibrary? loaded;
    static readonly object gate = new();

    /// <summary>Loads libmpi once per process (<see cref="LibraryVariable"/> or <see cref="DefaultLibrary"/>).</summary>
    public static MpiLibrary Load()
    {
        lock (gate)
        {
            if (loaded is not null) return loaded;
            var path = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } p ? p : DefaultLibrary;
            // RTLD_GLOBAL: Open MPI dlopens its components, which resolve symbols of libmpi and its libraries;
            // .NET's own loader opens libraries RTLD_LOCAL, which hides them.
            var handle = dlopen(path, RtldNow | RtldGlobal);
            if (handle == 0)
                throw new DllNotFoundException(
                    $"{path}: cannot load the MPI library ({Marshal.PtrToStringUTF8(dlerror()) ?? "dlopen failed"}). " +
                    $"Install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or set {LibraryVariable} to its libmpi.so.40.");
            return loaded = new MpiLibrary(path, handle);
        }
    }

    /// <summary>The library's own version string (MPI_Get_library_version).</summary>
    public string Version() => ReadVersion(GetLibraryVersion);

    /// <summary>True when this Open MPI build accepts CUDA device buffers (MPIX_Query_cuda_support).</summary>
    public bool CudaAware => queryCudaSupport != null && queryCudaSupport() == 1;

    static string ReadVersion(delegate* unmanaged<byte*, int*, int> get)
    {
        var buffer = new byte[8192]; // ≥ MPI_MAX_LIBRARY_VERSION_STRING in Open MPI and MPICH
        int length;
        fixed (byte* b = buffer) get(b, &length);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).Split('\n')[0].Split(", package")[0].Trim('\0', ' ', ',');
    }

    const int RtldNow = 2, RtldGlobal = 0x100;
    [DllImport("libc", EntryPoint = "dlopen")] static extern nint dlopen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlerror")] static extern nint dlerror();
}
