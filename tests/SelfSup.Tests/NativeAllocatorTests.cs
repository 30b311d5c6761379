using SelfSup;

namespace SelfSup.Tests;

public class NativeAllocatorTests
{
    [Fact]
    public void OnGlibcLinux_TheArenaCapIsAccepted()
    {
        // mallopt returns 1 on success and 0 for an option it does not know, so a wrong option id fails here.
        var expected = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null;
        Assert.Equal(expected, NativeAllocator.CapArenas());
    }
}
