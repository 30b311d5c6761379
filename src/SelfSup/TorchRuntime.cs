using TorchSharp;

namespace SelfSup;

/// <summary>
/// One place that prepares libtorch for a process: thread count, a readable error if the native shim is missing, and
/// the check that this CPU's oneDNN convolutions are correct (<see cref="OneDnnCheck"/>; also run on the first device
/// lookup and by the first encoder built, so every model has it).
/// </summary>
public static class TorchRuntime
{
    static int initialized;

    /// <summary>Sets libtorch's intra-op threads (default: the core count) once per process.</summary>
    public static void Initialize(int? threads = null)
    {
        if (Interlocked.Exchange(ref initialized, 1) == 1) return;
        try
        {
            torch.set_num_threads(threads ?? Environment.ProcessorCount);
            OneDnnCheck.Run();
        }
        catch (TypeInitializationException e)
        {
            throw new InvalidOperationException(
                "TorchSharp's native library did not load (" + (e.InnerException?.Message ?? e.Message) + "). " +
                "Build with 'dotnet build' so the libLibTorchSharp.so patch step runs on this system.", e);
        }
    }

    /// <summary>Parses "cpu", "cuda", "cuda:1".</summary>
    public static torch.Device ParseDevice(string device)
    {
        OneDnnCheck.Run();
        var d = new torch.Device(device);
        if (d.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new ArgumentException($"device '{device}' requested but CUDA is not available in this build (use TorchSharp-cuda-linux)");
        return d;
    }
}
