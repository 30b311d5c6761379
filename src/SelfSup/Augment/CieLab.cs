using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// sRGB ↔ CIE L*a*b* on float batches [B, 3, H, W]: sRGB in [0, 1] ↔ linear RGB (the IEC 61966-2-1 transfer curve)
/// ↔ CIE XYZ (sRGB primaries, D65 white) ↔ Lab relative to the D65 white, so white is L 100, a 0, b 0 and L runs
/// 0…100 with a and b roughly within ±110 for sRGB colours (the space of Zhang et al. 2016's colorization).
/// </summary>
public static class CieLab
{
    /// <summary>Linear sRGB → XYZ (D65), rows X, Y, Z.</summary>
    static readonly double[,] RgbToXyzMatrix =
    {
        { 0.4124564, 0.3575761, 0.1804375 },
        { 0.2126729, 0.7151522, 0.0721750 },
        { 0.0193339, 0.1191920, 0.9503041 },
    };

    /// <summary>XYZ (D65) → linear sRGB.</summary>
    static readonly double[,] XyzToRgbMatrix = Inverse(RgbToXyzMatrix);

    /// <summary>The D65 white point Xn, Yn, Zn: the XYZ of linear sRGB (1, 1, 1).</summary>
    static readonly double[] White = [0.95047, 1.0, 1.08883];

    /// <summary>δ = 6/29: where the Lab cube root switches to its linear segment.</summary>
    const double Delta = 6.0 / 29.0;

    /// <summary>sRGB in [0, 1] → linear RGB: c/12.92 up to 0.04045, ((c + 0.055)/1.055)^2.4 above.</summary>
    public static Tensor SrgbToLinear(Tensor srgb)
    {
        using var scope = NewDisposeScope();
        var curve = srgb.clamp_min(0.04045).add(0.055).div_(1.055).pow_(2.4);
        return where(srgb.le(0.04045), srgb / 12.92, curve).MoveToOuterDisposeScope();
    }

    /// <summary>Linear RGB → sRGB: 12.92·c up to 0.0031308, 1.055·c^(1/2.4) − 0.055 above.</summary>
    public static Tensor LinearToSrgb(Tensor linear)
    {
        using var scope = NewDisposeScope();
        var curve = linear.clamp_min(0.0031308).pow(1 / 2.4).mul_(1.055).sub_(0.055);
        return where(linear.le(0.0031308), linear * 12.92, curve).MoveToOuterDisposeScope();
    }

    /// <summary>sRGB [B, 3, H, W] in [0, 1] → Lab [B, 3, H, W] (channels L, a, b).</summary>
    public static Tensor RgbToLab(Tensor rgb)
    {
        Check(rgb);
        using var scope = NewDisposeScope();
        var xyz = Mix(RgbToXyzMatrix, SrgbToLinear(rgb)).div_(WhiteOf(rgb)); // [B, 3, H, W], white = 1
        var f = where(xyz.gt(Delta * Delta * Delta), xyz.clamp_min(1e-12).pow(1.0 / 3),
            xyz / (3 * Delta * Delta) + 4.0 / 29);
        var fx = f.narrow(1, 0, 1);
        var fy = f.narrow(1, 1, 1);
        var fz = f.narrow(1, 2, 1);
        var lab = cat([fy * 116 - 16, (fx - fy) * 500, (fy - fz) * 200], 1); // [B, 3, H, W]
        return lab.MoveToOuterDisposeScope();
    }

    /// <summary>Lab [B, 3, H, W] → sRGB [B, 3, H, W]; colours outside the sRGB gamut come back outside [0, 1] (clamp to show them).</summary>
    public static Tensor LabToRgb(Tensor lab)
    {
        Check(lab);
        using var scope = NewDisposeScope();
        var fy = lab.narrow(1, 0, 1).add(16).div_(116);
        var f = cat([fy + lab.narrow(1, 1, 1) / 500, fy, fy - lab.narrow(1, 2, 1) / 200], 1); // [B, 3, H, W]
        var xyz = where(f.gt(Delta), f.pow(3), (f - 4.0 / 29) * (3 * Delta * Delta)).mul_(WhiteOf(lab));
        return LinearToSrgb(Mix(XyzToRgbMatrix, xyz)).MoveToOuterDisposeScope();
    }

    /// <summary>L [B, 1, H, W] of an sRGB batch; a 1-channel batch is taken as gray, (g, g, g).</summary>
    public static Tensor Lightness(Tensor rgbOrGray)
    {
        using var scope = NewDisposeScope();
        var rgb = rgbOrGray.shape[1] == 1 ? rgbOrGray.expand(-1, 3, -1, -1) : rgbOrGray;
        return RgbToLab(rgb).narrow(1, 0, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Σ_j M[i, j]·x[:, j] for a 3 × 3 matrix over the channel axis of [B, 3, H, W].</summary>
    static Tensor Mix(double[,] m, Tensor x)
    {
        using var scope = NewDisposeScope();
        var flat = new float[9];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                flat[3 * i + j] = (float)m[i, j];
        var matrix = tensor(flat, device: x.device).to(x.dtype).view(3, 3);
        return einsum("ij,bjhw->bihw", matrix, x).MoveToOuterDisposeScope();
    }

    static Tensor WhiteOf(Tensor like) => tensor(White.Select(v => (float)v).ToArray(), device: like.device).to(like.dtype).view(1, 3, 1, 1);

    /// <summary>The inverse of a 3 × 3 matrix by cofactors, in double precision.</summary>
    static double[,] Inverse(double[,] m)
    {
        var inv = new double[3, 3];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                inv[j, i] = m[(i + 1) % 3, (j + 1) % 3] * m[(i + 2) % 3, (j + 2) % 3]
                    - m[(i + 1) % 3, (j + 2) % 3] * m[(i + 2) % 3, (j + 1) % 3];
        var det = m[0, 0] * inv[0, 0] + m[0, 1] * inv[1, 0] + m[0, 2] * inv[2, 0];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                inv[i, j] /= det;
        return inv;
    }

    static void Check(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"Lab conversion needs [B, 3, H, W], found [{string.Join(", ", x.shape)}]");
    }
}
