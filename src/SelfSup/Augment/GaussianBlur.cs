using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Gaussian blur with a per-sample sigma (uniform in [<see cref="SigmaMin"/>, <see cref="SigmaMax"/>]), applied
/// to a sample with probability <see cref="P"/>. Separable: one horizontal and one vertical depthwise conv with
/// reflect padding, the batch folded into the channel dimension so each sample gets its own kernel in one call.
/// </summary>
public sealed class GaussianBlur : IBatchTransform
{
    public int KernelSize { get; }
    public double SigmaMin { get; }
    public double SigmaMax { get; }
    public double P { get; }

    public GaussianBlur(int kernelSize, double sigmaMin = 0.1, double sigmaMax = 2.0, double p = 0.5)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "GaussianBlur: kernel size must be odd and positive");
        if (!(sigmaMin > 0 && sigmaMax >= sigmaMin))
            throw new ArgumentOutOfRangeException(nameof(sigmaMin), sigmaMin, $"GaussianBlur: need 0 < sigmaMin ≤ sigmaMax, found ({sigmaMin}, {sigmaMax})");
        BatchRandom.CheckProbability(p, nameof(GaussianBlur), nameof(p));
        (KernelSize, SigmaMin, SigmaMax, P) = (kernelSize, sigmaMin, sigmaMax, p);
    }

    /// <summary>About 10 % of the image side as SimCLR uses, made odd for a centred kernel (64 → 7, 96 → 9, 224 → 23).</summary>
    public static int KernelSizeFor(int imageSize)
    {
        var k = Math.Max(3, imageSize / 10);
        return k % 2 == 0 ? k + 1 : k;
    }

    /// <summary>Normalised 1-D Gaussian kernels [n, K], one row per sigma in <paramref name="sigma"/> [n].</summary>
    public static Tensor Kernels(Tensor sigma, int kernelSize)
    {
        using var scope = NewDisposeScope();
        var r = kernelSize / 2;
        var t = arange(-r, r + 1, dtype: sigma.dtype, device: sigma.device).unsqueeze(0); // [1, K]
        var s = sigma.unsqueeze(1); // [n, 1]
        var k = (t * t).div(s * s * -2).exp_(); // [n, K]
        return k.div_(k.sum(1, keepdim: true)).MoveToOuterDisposeScope();
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(GaussianBlur));
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var r = KernelSize / 2;
        if (r >= h || r >= w)
            throw new ArgumentException($"GaussianBlur: kernel size {KernelSize} needs images larger than {r} pixels per side, found {h}×{w}");
        using var scope = NewDisposeScope();
        var sigma = BatchRandom.Uniform(generator, b, SigmaMin, SigmaMax, x.device).to(x.dtype); // [B]
        var chosen = BatchRandom.Coin(generator, b, P, x.device).view(b, 1, 1, 1);
        var k = Kernels(sigma, KernelSize).repeat_interleave(c, dim: 0); // [B·C, K]
        var y = x.reshape(1, b * c, h, w);
        y = nn.functional.pad(y, [r, r, 0, 0], PaddingModes.Reflect);
        y = ConvolutionGuard.Functional(y, k.view(b * c, 1, 1, KernelSize), groups: b * c); // horizontal pass
        y = nn.functional.pad(y, [0, 0, r, r], PaddingModes.Reflect);
        y = ConvolutionGuard.Functional(y, k.view(b * c, 1, KernelSize, 1), groups: b * c); // vertical pass
        return where(chosen, y.view(b, c, h, w), x).MoveToOuterDisposeScope();
    }
}
