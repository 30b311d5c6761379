using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// Brings an already decoded dataset to a requested square size and channel count, for sources stored as raw
/// arrays (IDX, NPZ, CIFAR batches): centre crop to a square, antialiased bilinear resize, gray ↔ RGB.
/// </summary>
internal static class DatasetConform
{
    const int Chunk = 2048;

    /// <summary>The dataset itself when nothing changes; otherwise a new one (the input is disposed).</summary>
    public static ImageDataset Apply(ImageDataset data, int? size, int? channels)
    {
        var c = channels ?? data.Channels;
        var s = size ?? (data.Height == data.Width ? data.Height : Math.Min(data.Height, data.Width));
        if (c is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {c}");
        if (s <= 0) throw new ArgumentException($"image size must be positive, got {s}");
        if (c != data.Channels && data.Channels is not (1 or 3))
            throw new ArgumentException($"dataset '{data.Name}': cannot convert {data.Channels} channels to {c}");
        if (c == data.Channels && s == data.Height && s == data.Width) return data;

        var output = empty([data.Count, c, s, s], ScalarType.Byte).DetachFromDisposeScope();
        for (long start = 0; start < data.Count; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var len = Math.Min(Chunk, data.Count - start);
            var x = data.Range(start, len).to_type(ScalarType.Float32); // [b, C0, H0, W0]
            x = ConvertChannels(x, c);                                                // [b, C, H0, W0]
            x = CenterSquare(x);                                                      // [b, C, m, m]
            if (x.shape[2] != s)
                x = nn.functional.interpolate(x, size: [s, s], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
            output.narrow(0, start, len).copy_(x.round().clamp(0, 255).to_type(ScalarType.Byte));
        }
        var result = new ImageDataset(data.Name, output, data.Labels, data.ClassNames);
        data.Dispose();
        return result;
    }

    static Tensor ConvertChannels(Tensor x, int channels)
    {
        var have = x.shape[1];
        if (have == channels) return x;
        if (channels == 3) return x.expand(-1, 3, -1, -1);
        // BT.601 luminance, as the image decoder uses.
        using var w = tensor(new float[] { 0.299f, 0.587f, 0.114f }, device: x.device).view(1, 3, 1, 1);
        return (x * w).sum(1, keepdim: true); // [b, 1, H, W]
    }

    static Tensor CenterSquare(Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
        if (h == w) return x;
        var m = Math.Min(h, w);
        return x.narrow(2, (h - m) / 2, m).narrow(3, (w - m) / 2, m);
    }
}
