using System.Runtime.InteropServices;

namespace SelfSup;

/// <summary>
/// Keeps glibc from hoarding freed tensor memory. libtorch's CPU tensors come from malloc; glibc serves requests
/// above a threshold with mmap and returns them to the OS on free, but it raises that threshold to the size of every
/// mmapped block freed (up to 32 MiB), after which activation buffers of a few MiB live in the heap, fragment it and
/// keep the resident size creeping up for hundreds of steps. Fixing the threshold at 1 MiB stops the creep
/// (bench/README.md, Memory). A user's own <c>MALLOC_MMAP_THRESHOLD_</c> wins; other C libraries are left alone.
/// </summary>
public static class NativeAllocator
{
    const int MmapThresholdOption = -3; // M_MMAP_THRESHOLD in glibc's malloc.h

    /// <summary>The threshold set: blocks of at least this many bytes are mmapped and unmapped on free.</summary>
    public const int MmapThreshold = 1 << 20;

    /// <summary>Applies the fixed threshold once; true when glibc took it.</summary>
    public static bool FixMmapThreshold()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return false;
        try
        {
            return mallopt(MmapThresholdOption, MmapThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // not glibc
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int option, int value);
}
