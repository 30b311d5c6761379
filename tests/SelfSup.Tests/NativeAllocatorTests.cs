using SelfSup;

namespace SelfSup.Tests;

public class NativeAllocatorTests
{
    [Fact]
    public void OnGlibcLinux_TheFixedMmapThresholdIsAccepted()
    {
        // mallopt returns 1 on success; the option and value must be ones glibc accepts (a wrong option id fails).
        var expected = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null;
        Assert.Equal(expected, NativeAllocator.FixMmapThreshold());
    }
}
