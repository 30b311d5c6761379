using SelfSup.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>Per-channel mean and std (in [0, 1] units) used to normalise model inputs.</summary>
public sealed record ChannelStats(float[] Mean, float[] Std)
{
    /// <summary>
    /// Measures the statistics on (up to <paramref name="maxImages"/> of) a dataset: every image, or that many spread
    /// evenly over it, so a dataset stored class by class is measured over all its classes and not its first ones. The
    /// sums run in float64 over chunks, so large images need no float copy of the whole sample.
    /// </summary>
    public static ChannelStats Measure(ImageDataset data, int maxImages = 10_000) =>
        Measure(data, maxImages, chunkRows: Math.Max(1, (1 << 22) / (data.Channels * data.Height * data.Width)));

    internal static ChannelStats Measure(ImageDataset data, int maxImages, int chunkRows)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (maxImages < 1) throw new ArgumentException($"channel statistics: expected at least 1 image to measure, got {maxImages}");
        if (data.Count == 0) throw new ArgumentException($"dataset '{data.Name}' has no images to measure the channel statistics on");
        var rows = ImageDataset.SpreadRows(data.Count, Math.Min(data.Count, maxImages));
        using var scope = NewDisposeScope();
        var sum = zeros(data.Channels, ScalarType.Float64);
        var squares = zeros(data.Channels, ScalarType.Float64);
        for (var start = 0; start < rows.Length; start += chunkRows)
        {
            using var chunkScope = NewDisposeScope();
            var x = data.Rows(rows.AsSpan(start, Math.Min(chunkRows, rows.Length - start))).to(ScalarType.Float64).div_(255.0);
            sum.add_(x.sum([0L, 2L, 3L]));
            squares.add_(x.square().sum([0L, 2L, 3L]));
        }
        var count = (double)rows.Length * data.Height * data.Width;
        var mean = sum / count;
        // Unbiased, as torch.std; clamped so that a constant channel does not divide by zero.
        var variance = (squares - sum * mean).div_(Math.Max(1, count - 1)).clamp_min_(0);
        var std = variance.sqrt_().clamp_min_(1e-3);
        return new ChannelStats(
            mean.to(ScalarType.Float32).data<float>().ToArray(),
            std.to(ScalarType.Float32).data<float>().ToArray());
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
