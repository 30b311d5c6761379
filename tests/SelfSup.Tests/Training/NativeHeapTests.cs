using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class NativeHeapTests
{
    public NativeHeapTests() => TorchRuntime.Initialize();

    [Fact]
    public void AfterManyMidSizedTensorsAreFreed_TrimReturnsPagesOnLinux()
    {
        // 64 KiB buffers sit below glibc's mmap threshold, so they live in the heap and leave free pages behind.
        var tensors = Enumerable.Range(0, 800).Select(_ => ones(16 * 1024)).ToList();
        foreach (var t in tensors) t.Dispose();
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.Trim());
    }
}
