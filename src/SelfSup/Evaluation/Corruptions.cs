using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>Image corruptions of the robustness evaluation.</summary>
public enum CorruptionKind
{
    GaussianNoise,
    GaussianBlur,
    Contrast,
    Brightness,
    Jpeg,
    Occlusion,
}

/// <summary>
/// Common corruptions at severities 1–5, after Hendrycks and Dietterich 2019 ("Benchmarking Neural Network
/// Robustness to Common Corruptions and Perturbations"), whose CIFAR-10-C parameters are used where they exist.
/// Batched tensor ops on float images in [0, 1] on any device; random parameters come from the caller's generator
/// on the CPU, so a seed reproduces the same corrupted images everywhere. Severity 0 returns the images unchanged.
/// <list type="bullet">
/// <item>gaussian_noise: + N(0, σ²) per pixel, σ = 0.04, 0.06, 0.08, 0.09, 0.10.</item>
/// <item>gaussian_blur: separable Gaussian, σ = 0.4, 0.6, 0.7, 0.8, 1.0 px, kernel 2⌈3σ⌉ + 1, reflect padding.</item>
/// <item>contrast: (x − m)·c + m with m the image's mean, c = 0.75, 0.5, 0.4, 0.3, 0.15.</item>
/// <item>brightness: x + c on every channel, c = 0.05, 0.1, 0.15, 0.2, 0.3 (CIFAR-10-C shifts V in HSV instead;
/// on grayscale images the two agree).</item>
/// <item>jpeg: JPEG's lossy step without entropy coding or colour conversion: each channel in 8×8 blocks
/// (replicate-padded to a multiple of 8), orthonormal 2-D DCT of 255·x − 128, division by the standard luminance
/// quantisation table scaled to quality q = 80, 65, 58, 50, 40 (IJG scaling), rounding, and the inverse DCT.</item>
/// <item>occlusion: one mid-grey (0.5) square per image at a uniform random position, side 10, 20, 30, 40, 50 % of
/// the shorter image side.</item>
/// </list>
/// All outputs are clamped to [0, 1].
/// </summary>
public static class Corruptions
{
    public const int MaxSeverity = 5;

    public static IReadOnlyList<CorruptionKind> All { get; } = Enum.GetValues<CorruptionKind>();

    static readonly double[] NoiseSigma = [0.04, 0.06, 0.08, 0.09, 0.10];
    static readonly double[] BlurSigma = [0.4, 0.6, 0.7, 0.8, 1.0];
    static readonly double[] ContrastFactor = [0.75, 0.5, 0.4, 0.3, 0.15];
    static readonly double[] BrightnessShift = [0.05, 0.1, 0.15, 0.2, 0.3];
    static readonly double[] JpegQuality = [80, 65, 58, 50, 40];
    static readonly double[] OcclusionFraction = [0.1, 0.2, 0.3, 0.4, 0.5];

    /// <summary>JPEG's luminance quantisation table (ITU-T T.81, Annex K, Table K.1), row-major.</summary>
    static readonly float[] LuminanceTable =
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>The snake_case name used in reports and on the command line.</summary>
    public static string Name(CorruptionKind kind) => kind switch
    {
        CorruptionKind.GaussianNoise => "gaussian_noise",
        CorruptionKind.GaussianBlur => "gaussian_blur",
        CorruptionKind.Contrast => "contrast",
        CorruptionKind.Brightness => "brightness",
        CorruptionKind.Jpeg => "jpeg",
        CorruptionKind.Occlusion => "occlusion",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown corruption"),
    };

    public static CorruptionKind Parse(string name)
    {
        var wanted = name.Trim().ToLowerInvariant();
        foreach (var kind in All)
            if (Name(kind) == wanted) return kind;
        throw new ArgumentException($"unknown corruption '{name}'; expected one of: {string.Join(", ", All.Select(Name))}");
    }

    /// <summary>The parameter a severity maps to (σ, factor, shift, quality or side fraction, as listed above).</summary>
    public static double Parameter(CorruptionKind kind, int severity)
    {
        CheckSeverity(severity, min: 1);
        return Table(kind)[severity - 1];
    }

    /// <summary>Corrupts float images [B, C, H, W] in [0, 1]; returns a new tensor of the same shape and device.</summary>
    public static Tensor Apply(Tensor images, CorruptionKind kind, int severity, Generator generator)
    {
        BatchRandom.CheckBatch(images, "corruption");
        CheckSeverity(severity, min: 0);
        if (severity == 0) return images.clone();
        var p = Parameter(kind, severity);
        using var scope = NewDisposeScope();
        var y = kind switch
        {
            CorruptionKind.GaussianNoise => GaussianNoise(images, p, generator),
            CorruptionKind.GaussianBlur => Blur(images, p),
            CorruptionKind.Contrast => Contrast(images, p),
            CorruptionKind.Brightness => images.add(p),
            CorruptionKind.Jpeg => Jpeg(images, p),
            CorruptionKind.Occlusion => Occlusion(images, p, generator),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown corruption"),
        };
        return y.clamp_(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>uint8 images [B, C, H, W] → corrupted uint8 images on <paramref name="device"/> (rounded to the nearest level).</summary>
    public static Tensor ApplyToBytes(Tensor images, CorruptionKind kind, int severity, Generator generator, Device device)
    {
        if (images.dtype != ScalarType.Byte)
            throw new ArgumentException($"corruption: expected uint8 images, got {images.dtype}");
        using var scope = NewDisposeScope();
        var x = ChannelStats.ToUnitFloat(images, device); // [B, C, H, W] in [0, 1]
        return Apply(x, kind, severity, generator).mul_(255).round_().to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    static Tensor GaussianNoise(Tensor x, double sigma, Generator generator)
    {
        using var noise = randn(x.shape, generator: generator); // drawn on the CPU for device-independent results
        return x.add(noise.to(x.dtype).to(x.device), alpha: sigma);
    }

    static Tensor Blur(Tensor x, double sigma)
    {
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var r = (int)Math.Ceiling(3 * sigma);
        if (r >= h || r >= w)
            throw new ArgumentException($"gaussian_blur: σ = {sigma} needs a {2 * r + 1}-pixel kernel, too large for {h}×{w} images");
        using var sigmaT = tensor(new[] { sigma }, x.dtype, x.device);
        using var k = GaussianBlur.Kernels(sigmaT, 2 * r + 1); // [1, K]
        var y = x.reshape(b * c, 1, h, w);
        y = nn.functional.pad(y, [r, r, 0, 0], PaddingModes.Reflect);
        y = ConvolutionGuard.Functional(y, k.view(1, 1, 1, 2 * r + 1)); // horizontal pass
        y = nn.functional.pad(y, [0, 0, r, r], PaddingModes.Reflect);
        y = ConvolutionGuard.Functional(y, k.view(1, 1, 2 * r + 1, 1)); // vertical pass
        return y.view(b, c, h, w);
    }

    static Tensor Contrast(Tensor x, double factor)
    {
        var mean = x.mean([1L, 2L, 3L], keepdim: true); // [B, 1, 1, 1]
        return x.sub(mean).mul_(factor).add_(mean);
    }

    static Tensor Jpeg(Tensor x, double quality)
    {
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var (ph, pw) = ((8 - h % 8) % 8, (8 - w % 8) % 8);
        var padded = ph + pw > 0 ? nn.functional.pad(x, [0, pw, 0, ph], PaddingModes.Replicate) : x;
        var (hb, wb) = ((h + ph) / 8, (w + pw) / 8);
        var blocks = padded.mul(255).sub_(128).view(b, c, hb, 8, wb, 8).permute(0, 1, 2, 4, 3, 5); // [B, C, hb, wb, 8, 8]
        var d = DctMatrix(x.dtype, x.device); // [8, 8]
        var q = QuantisationTable(quality, x.dtype, x.device); // [8, 8]
        var coefficients = d.matmul(blocks).matmul(d.t()); // [B, C, hb, wb, 8, 8]
        var quantised = coefficients.div(q).round_().mul_(q);
        var restored = d.t().matmul(quantised).matmul(d).add_(128).div_(255); // [B, C, hb, wb, 8, 8]
        var image = restored.permute(0, 1, 2, 4, 3, 5).reshape(b, c, hb * 8, wb * 8); // [B, C, H', W']
        return image.narrow(2, 0, h).narrow(3, 0, w);
    }

    /// <summary>Orthonormal DCT-II basis: D[u, x] = α(u)·cos((2x + 1)uπ/16), so coefficients = D·X·Dᵀ.</summary>
    internal static Tensor DctMatrix(ScalarType dtype, Device device)
    {
        var m = new float[64];
        for (var u = 0; u < 8; u++)
            for (var x = 0; x < 8; x++)
                m[u * 8 + x] = (float)((u == 0 ? Math.Sqrt(1.0 / 8) : Math.Sqrt(2.0 / 8)) * Math.Cos((2 * x + 1) * u * Math.PI / 16));
        return tensor(m, [8, 8], dtype, device);
    }

    /// <summary>The luminance table scaled as the IJG library does: S = 5000/q below 50, 200 − 2q above; entries ≥ 1.</summary>
    internal static Tensor QuantisationTable(double quality, ScalarType dtype, Device device)
    {
        var scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
        var table = LuminanceTable.Select(t => (float)Math.Max(1, Math.Floor((t * scale + 50) / 100))).ToArray();
        return tensor(table, [8, 8], dtype, device);
    }

    static Tensor Occlusion(Tensor x, double fraction, Generator generator)
    {
        var (b, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var side = Math.Max(1, (long)Math.Round(fraction * Math.Min(h, w)));
        var top = BatchRandom.Uniform(generator, b, 0, 1, x.device).mul_(h - side + 1).floor_().view(b, 1, 1, 1); // [B, 1, 1, 1]
        var left = BatchRandom.Uniform(generator, b, 0, 1, x.device).mul_(w - side + 1).floor_().view(b, 1, 1, 1);
        var rows = arange(h, ScalarType.Float32, x.device).view(1, 1, h, 1); // [1, 1, H, 1]
        var cols = arange(w, ScalarType.Float32, x.device).view(1, 1, 1, w); // [1, 1, 1, W]
        var inside = rows.ge(top).logical_and_(rows.lt(top.add(side)))
            .logical_and(cols.ge(left).logical_and_(cols.lt(left.add(side)))); // [B, 1, H, W]
        return x.masked_fill(inside, 0.5);
    }

    static double[] Table(CorruptionKind kind) => kind switch
    {
        CorruptionKind.GaussianNoise => NoiseSigma,
        CorruptionKind.GaussianBlur => BlurSigma,
        CorruptionKind.Contrast => ContrastFactor,
        CorruptionKind.Brightness => BrightnessShift,
        CorruptionKind.Jpeg => JpegQuality,
        CorruptionKind.Occlusion => OcclusionFraction,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown corruption"),
    };

    static void CheckSeverity(int severity, int min)
    {
        if (severity < min || severity > MaxSeverity)
            throw new ArgumentOutOfRangeException(nameof(severity), severity, $"corruption severity must be in [{min}, {MaxSeverity}]");
    }
}
