using System.Runtime.InteropServices;

namespace SelfSup.Training;

/// <summary>
/// Hands freed native memory back to the operating system. libtorch's CPU tensors come from the C allocator; glibc
/// keeps freed chunks in its arenas and only returns the top of the main heap, so a long run's resident size creeps
/// up as activation buffers of varying sizes fragment the arenas. <c>malloc_trim(0)</c> releases every whole free
/// page of every arena (glibc ≥ 2.8). Elsewhere (musl, macOS, Windows) this is a no-op.
/// </summary>
public static class NativeHeap
{
    static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>Returns free heap pages to the OS; true when the allocator released anything.</summary>
    public static bool Trim()
    {
        if (unavailable) return false;
        try
        {
            return malloc_trim(0) != 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true; // not glibc
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);
}
