using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Per-sample random parameters. Drawn on the CPU from the caller's generator (so a seed reproduces a batch on
/// any device) and then moved to the batch's device.
/// </summary>
public static class BatchRandom
{
    /// <summary>Uniform values in [<paramref name="low"/>, <paramref name="high"/>), shape [n].</summary>
    public static Tensor Uniform(Generator generator, long n, double low, double high, Device device)
    {
        using var u = rand(n, generator: generator); // [n] on the CPU
        return u.mul(high - low).add_(low).to(device);
    }

    /// <summary>True with probability <paramref name="p"/>, independently per sample, shape [n] (bool).</summary>
    public static Tensor Coin(Generator generator, long n, double p, Device device)
    {
        using var u = rand(n, generator: generator);
        return u.lt(p).to(device);
    }

    /// <summary>Throws unless the batch is a 4-D float tensor [B, C, H, W].</summary>
    public static void CheckBatch(Tensor x, string who)
    {
        if (x.dim() != 4)
            throw new ArgumentException($"{who}: input must be [B, C, H, W], found {x.dim()} dimensions");
        if (!x.is_floating_point())
            throw new ArgumentException($"{who}: input must be float in [0, 1], found {x.dtype} (convert with ChannelStats.ToUnitFloat)");
    }

    /// <summary>Throws unless <paramref name="p"/> is a probability.</summary>
    public static void CheckProbability(double p, string who, string field)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(field, p, $"{who}: {field} must be in [0, 1]");
    }
}
