using SelfSup.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>Per-channel mean and std (in [0, 1] units) used to normalise model inputs.</summary>
public sealed record ChannelStats(float[] Mean, float[] Std)
{
    /// <summary>Measures the statistics on (up to <paramref name="maxImages"/> of) a dataset.</summary>
    public static ChannelStats Measure(ImageDataset data, int maxImages = 10_000)
    {
        using var scope = NewDisposeScope();
        var n = Math.Min(data.Count, maxImages);
        var x = data.Range(0, n).to(ScalarType.Float32).div_(255f); // [n, C, H, W]
        var mean = x.mean([0L, 2L, 3L]).data<float>().ToArray();
        var std = x.std([0L, 2L, 3L]).clamp_min(1e-3).data<float>().ToArray();
        return new ChannelStats(mean, std);
    }

    /// <summary>uint8 [B, C, H, W] → float [B, C, H, W] in [0, 1] on <paramref name="device"/>.</summary>
    public static Tensor ToUnitFloat(Tensor images, Device device) =>
        images.to(device).to(ScalarType.Float32).div_(255f);

    /// <summary>(x − mean) / std per channel for a float batch in [0, 1].</summary>
    public Tensor Normalize(Tensor x)
    {
        var c = x.shape[1];
        if (c != Mean.Length)
            throw new ArgumentException($"batch has {c} channels but the normalisation statistics have {Mean.Length}");
        using var m = tensor(Mean, device: x.device).view(1, c, 1, 1);
        using var s = tensor(Std, device: x.device).view(1, c, 1, 1);
        return x.sub(m).div_(s);
    }

    /// <summary>x · std + mean per channel: a normalised batch back in [0, 1] units (the inverse of <see cref="Normalize"/>).</summary>
    public Tensor Denormalize(Tensor x)
    {
        var c = x.shape[1];
        if (c != Mean.Length)
            throw new ArgumentException($"batch has {c} channels but the normalisation statistics have {Mean.Length}");
        using var m = tensor(Mean, device: x.device).view(1, c, 1, 1);
        using var s = tensor(Std, device: x.device).view(1, c, 1, 1);
        return x.mul(s).add_(m);
    }

    /// <summary>uint8 batch → normalised float model input, the evaluation-time preprocessing.</summary>
    public Tensor ToModelInput(Tensor images, Device device)
    {
        using var x = ToUnitFloat(images, device);
        return Normalize(x);
    }
}
