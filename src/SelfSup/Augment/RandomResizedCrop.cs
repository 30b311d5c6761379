using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Crops a random box per sample and resizes it to <see cref="OutputSize"/>² (Inception-style crop as used by
/// SimCLR): area fraction uniform in <see cref="Scale"/>, aspect ratio log-uniform in <see cref="Ratio"/>, up to
/// ten draws per sample keeping the first box that fits, else a centre crop of the whole image at the nearest
/// allowed ratio. Boxes are continuous (sub-pixel); every sample's box is resampled bilinearly by one
/// <c>affine_grid</c> + <c>grid_sample</c> call (align_corners false, so a full-image box is the identity).
/// </summary>
public sealed class RandomResizedCrop : IBatchTransform
{
    const int Attempts = 10;

    public int OutputSize { get; }
    public (double Min, double Max) Scale { get; }
    public (double Min, double Max) Ratio { get; }

    public RandomResizedCrop(int outputSize, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        if (outputSize < 1) throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, "RandomResizedCrop: output size must be ≥ 1");
        var s = scale ?? (0.08, 1.0);
        var r = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        if (!(s.Min > 0 && s.Min <= s.Max && s.Max <= 1))
            throw new ArgumentOutOfRangeException(nameof(scale), s, "RandomResizedCrop: scale must satisfy 0 < min ≤ max ≤ 1");
        if (!(r.Min > 0 && r.Min <= r.Max))
            throw new ArgumentOutOfRangeException(nameof(ratio), r, "RandomResizedCrop: ratio must satisfy 0 < min ≤ max");
        (OutputSize, Scale, Ratio) = (outputSize, s, r);
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        var (images, boxes) = ApplyWithBoxes(x, generator);
        boxes.Dispose();
        return images;
    }

    /// <summary>The crops and the boxes they came from, [B, 4] float32 on the CPU as (x0, y0, w, h) in input pixels.</summary>
    public (Tensor Images, Tensor Boxes) ApplyWithBoxes(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(RandomResizedCrop));
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        using var scope = NewDisposeScope();
        var boxes = SampleBoxes(b, h, w, generator); // [B, 4]
        var theta = BoxesToTheta(boxes, h, w).to(x.device).to(x.dtype); // [B, 2, 3]
        var grid = nn.functional.affine_grid(theta, [b, c, OutputSize, OutputSize], align_corners: false); // [B, S, S, 2]
        var y = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
        return (y.MoveToOuterDisposeScope(), boxes.MoveToOuterDisposeScope());
    }

    /// <summary>Draws one box per sample for an <paramref name="height"/>×<paramref name="width"/> image: [n, 4] (x0, y0, w, h).</summary>
    public Tensor SampleBoxes(long n, long height, long width, Generator generator)
    {
        using var scope = NewDisposeScope();
        var area = (double)height * width;
        var logLo = Math.Log(Ratio.Min);
        var logHi = Math.Log(Ratio.Max);
        var frac = rand(n, Attempts, generator: generator).mul_(Scale.Max - Scale.Min).add_(Scale.Min); // [n, T]
        var aspect = rand(n, Attempts, generator: generator).mul_(logHi - logLo).add_(logLo).exp_(); // [n, T]
        var bw = (frac * aspect).mul_(area).sqrt_();
        var bh = (frac / aspect).mul_(area).sqrt_();
        var fits = bw.le(width).logical_and_(bh.le(height));
        var first = fits.to(ScalarType.Int32).argmax(1, keepdim: true); // [n, 1]: first fitting draw (0 if none)
        var anyFits = fits.any(1); // [n]

        var (fw, fh) = CentreFallback(height, width);
        var cw = where(anyFits, bw.gather(1, first).squeeze(1), tensor(fw));
        var ch = where(anyFits, bh.gather(1, first).squeeze(1), tensor(fh));
        var ux = rand(n, generator: generator);
        var uy = rand(n, generator: generator);
        var half = tensor(0.5f);
        var x0 = where(anyFits, ux, half) * (width - cw);
        var y0 = where(anyFits, uy, half) * (height - ch);
        return stack([x0, y0, cw, ch], 1).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>The whole image, trimmed to the nearest allowed aspect ratio (torchvision's fallback).</summary>
    (float W, float H) CentreFallback(long height, long width)
    {
        var inRatio = (double)width / height;
        if (inRatio < Ratio.Min) return (width, (float)(width / Ratio.Min));
        if (inRatio > Ratio.Max) return ((float)(height * Ratio.Max), height);
        return (width, height);
    }

    /// <summary>
    /// Maps output coordinates in [−1, 1] to the box in the input's normalised coordinates: scale w/W, h/H and
    /// shift to the box centre, (2·x0 + w)/W − 1.
    /// </summary>
    static Tensor BoxesToTheta(Tensor boxes, long height, long width)
    {
        using var scope = NewDisposeScope();
        var x0 = boxes.select(1, 0);
        var y0 = boxes.select(1, 1);
        var bw = boxes.select(1, 2);
        var bh = boxes.select(1, 3);
        var zero = zeros_like(x0);
        var row0 = stack([bw / width, zero, (x0 * 2 + bw) / width - 1], 1); // [B, 3]
        var row1 = stack([zero, bh / height, (y0 * 2 + bh) / height - 1], 1);
        return stack([row0, row1], 1).MoveToOuterDisposeScope(); // [B, 2, 3]
    }
}
