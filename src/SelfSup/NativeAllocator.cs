using System.Runtime.InteropServices;

namespace SelfSup;

/// <summary>
/// Keeps glibc's allocator from spreading tensor memory over many arenas. libtorch's CPU tensors come from malloc,
/// and each intra-op worker thread that allocates gets an arena of its own; buffers freed into one arena and
/// requested again from another leave every arena holding its own free copies, so a long run's resident size creeps
/// up for hundreds of steps (bench/README.md, Memory: +7 % from step 50 to 1,000 with 2 threads, +1.5 % with two
/// arenas). Two arenas are set before libtorch starts its threads. A user's own <c>MALLOC_ARENA_MAX</c> wins; other
/// C libraries are left alone.
/// </summary>
public static class NativeAllocator
{
    const int ArenaMaxOption = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>Arenas allowed (the main one and one more).</summary>
    public const int MaxArenas = 2;

    /// <summary>Applies the arena cap once; true when glibc took it.</summary>
    public static bool CapArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return false;
        try
        {
            return mallopt(ArenaMaxOption, MaxArenas) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // not glibc
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int option, int value);
}
