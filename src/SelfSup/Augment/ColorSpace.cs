using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>Colour conversions on float batches [B, C, H, W] in [0, 1], as plain tensor ops.</summary>
public static class ColorSpace
{
    /// <summary>ITU-R BT.601 luma weights for R, G, B.</summary>
    public const double R = 0.299, G = 0.587, B = 0.114;

    /// <summary>Luma [B, 1, H, W] of an RGB batch; a 1-channel batch is already luma and is copied.</summary>
    public static Tensor Grayscale(Tensor x)
    {
        var c = x.shape[1];
        if (c == 1) return x.clone();
        if (c != 3) throw new ArgumentException($"grayscale needs 1 or 3 channels, found {c}");
        using var scope = NewDisposeScope();
        var y = x.narrow(1, 0, 1).mul(R)
            .add_(x.narrow(1, 1, 1), alpha: G)
            .add_(x.narrow(1, 2, 1), alpha: B); // [B, 1, H, W]
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>RGB → HSV, all three in [0, 1] (hue as a fraction of a turn; hue 0 where the pixel is gray).</summary>
    public static Tensor RgbToHsv(Tensor rgb)
    {
        CheckRgb(rgb);
        using var scope = NewDisposeScope();
        var r = rgb.narrow(1, 0, 1);
        var g = rgb.narrow(1, 1, 1);
        var b = rgb.narrow(1, 2, 1);
        var maxc = rgb.amax([1L], keepdim: true); // [B, 1, H, W]
        var minc = rgb.amin([1L], keepdim: true);
        var delta = maxc - minc;
        var s = delta / maxc.clamp_min(1e-12);
        var d = where(delta.eq(0), ones_like(delta), delta);
        var rc = (maxc - r) / d;
        var gc = (maxc - g) / d;
        var bc = (maxc - b) / d;
        // Sector offsets 0, 2, 4 for a red, green or blue maximum; the difference places the hue inside it.
        var h6 = where(maxc.eq(r), bc - gc, where(maxc.eq(g), rc.add(2) - bc, gc.add(4) - rc));
        var h = h6.div_(6).remainder(1.0);
        return cat([h, s, maxc], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HSV → RGB by the closed form c_n = v − v·s·clamp(min(k, 4 − k), 0, 1) with k = (n + 6h) mod 6 and
    /// n = 5, 3, 1 for R, G, B: three broadcast ops instead of a six-way sector switch.
    /// </summary>
    public static Tensor HsvToRgb(Tensor hsv)
    {
        CheckRgb(hsv);
        using var scope = NewDisposeScope();
        var h = hsv.narrow(1, 0, 1);
        var s = hsv.narrow(1, 1, 1);
        var v = hsv.narrow(1, 2, 1);
        var k = (h * 6).add(RgbOffsets(hsv)).remainder_(6); // [B, 3, H, W]
        var ramp = minimum(k, k.neg().add(4)).clamp_(0, 1);
        return (v - v * s * ramp).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates hue by a per-sample fraction of a turn, <paramref name="shift"/> [B, 1, 1, 1]; equal to
    /// RGB → HSV, h += shift, HSV → RGB, fused into fewer passes (v·s is the chroma max − min, so saturation is
    /// never formed). The sector is chosen with comparisons: argmax over a 3-long channel axis is far slower on CPU.
    /// </summary>
    public static Tensor ShiftHue(Tensor rgb, Tensor shift)
    {
        CheckRgb(rgb);
        using var scope = NewDisposeScope();
        var r = rgb.narrow(1, 0, 1);
        var g = rgb.narrow(1, 1, 1);
        var b = rgb.narrow(1, 2, 1);
        var v = rgb.amax([1L], keepdim: true); // [B, 1, H, W]
        var chroma = v - rgb.amin([1L], keepdim: true);
        var inv = chroma.clamp_min(1e-12).reciprocal_();
        // Hue in sixths of a turn: (g − b)/Δ, 2 + (b − r)/Δ or 4 + (r − g)/Δ for a red, green or blue maximum.
        var h6 = where(r.eq(v), (g - b).mul_(inv),
            where(g.eq(v), (b - r).mul_(inv).add_(2), (r - g).mul_(inv).add_(4)));
        h6.add_(shift * 6);
        var k = h6.add(RgbOffsets(rgb)).remainder_(6); // [B, 3, H, W]
        var ramp = minimum(k, k.neg().add_(4)).clamp_(0, 1);
        return v.sub(ramp.mul_(chroma)).MoveToOuterDisposeScope();
    }

    /// <summary>n = 5, 3, 1 for R, G, B in the closed-form HSV → RGB.</summary>
    static Tensor RgbOffsets(Tensor like) =>
        tensor(new float[] { 5, 3, 1 }, device: like.device).to(like.dtype).view(1, 3, 1, 1);

    static void CheckRgb(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"colour conversion needs [B, 3, H, W], found [{string.Join(", ", x.shape)}]");
    }
}
