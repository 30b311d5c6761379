using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Random brightness, contrast, saturation and hue with per-sample factors drawn as torchvision does: brightness,
/// contrast and saturation factors uniform in [max(0, 1 − s), 1 + s], hue shift uniform in [−h, h] turns.
/// Each sample is jittered with probability <see cref="P"/> (SimCLR's "random apply").
/// The order of the four adjustments is a random permutation drawn once per batch (torchvision draws one per
/// call, i.e. per image); every result is clamped to [0, 1].
/// Contrast blends with the image's mean luma, saturation with its per-pixel luma, hue rotates in HSV.
/// On 1-channel batches only brightness and contrast apply.
/// </summary>
public sealed class ColorJitter : IBatchTransform
{
    public double Brightness { get; }
    public double Contrast { get; }
    public double Saturation { get; }
    public double Hue { get; }
    public double P { get; }

    public ColorJitter(double brightness, double contrast, double saturation, double hue, double p = 1.0)
    {
        if (!(brightness >= 0)) throw new ArgumentOutOfRangeException(nameof(brightness), brightness, "ColorJitter: brightness must be ≥ 0");
        if (!(contrast >= 0)) throw new ArgumentOutOfRangeException(nameof(contrast), contrast, "ColorJitter: contrast must be ≥ 0");
        if (!(saturation >= 0)) throw new ArgumentOutOfRangeException(nameof(saturation), saturation, "ColorJitter: saturation must be ≥ 0");
        if (!(hue >= 0 && hue <= 0.5)) throw new ArgumentOutOfRangeException(nameof(hue), hue, "ColorJitter: hue must be in [0, 0.5]");
        BatchRandom.CheckProbability(p, nameof(ColorJitter), nameof(p));
        (Brightness, Contrast, Saturation, Hue, P) = (brightness, contrast, saturation, hue, p);
    }

    /// <summary>SimCLR's jitter for strength s: (0.8s, 0.8s, 0.8s, 0.2s) applied with probability 0.8.</summary>
    public static ColorJitter SimClr(double strength = 0.5, double p = 0.8) =>
        new(0.8 * strength, 0.8 * strength, 0.8 * strength, 0.2 * strength, p);

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(ColorJitter));
        var c = x.shape[1];
        if (c != 1 && c != 3) throw new ArgumentException($"ColorJitter: input must have 1 or 3 channels, found {c}");
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var dev = x.device;
        // Every parameter is drawn whatever the strengths, so a seed gives the same stream for any setting.
        var chosen = BatchRandom.Coin(generator, b, P, dev).view(b, 1, 1, 1);
        var bf = Factors(generator, b, Brightness, dev);
        var cf = Factors(generator, b, Contrast, dev);
        var sf = Factors(generator, b, Saturation, dev);
        var hf = BatchRandom.Uniform(generator, b, -Hue, Hue, dev).view(b, 1, 1, 1);
        var order = randperm(4, generator: generator).data<long>().ToArray();

        var y = x;
        foreach (var op in order)
        {
            switch (op)
            {
                case 0 when Brightness > 0:
                    y = y.mul(bf).clamp_(0, 1);
                    break;
                case 1 when Contrast > 0:
                    var mean = ColorSpace.Grayscale(y).mean([1L, 2L, 3L], keepdim: true); // [B, 1, 1, 1]
                    y = Blend(y, mean, cf);
                    break;
                case 2 when Saturation > 0 && c == 3:
                    y = Blend(y, ColorSpace.Grayscale(y), sf);
                    break;
                case 3 when Hue > 0 && c == 3:
                    y = ColorSpace.ShiftHue(y, hf).clamp_(0, 1);
                    break;
            }
        }
        return where(chosen, y, x).MoveToOuterDisposeScope();
    }

    /// <summary>f·a + (1 − f)·b, clamped to [0, 1].</summary>
    static Tensor Blend(Tensor a, Tensor b, Tensor f) => (a * f).add_(b * (1 - f)).clamp_(0, 1);

    static Tensor Factors(Generator g, long n, double strength, Device device) =>
        BatchRandom.Uniform(g, n, Math.Max(0, 1 - strength), 1 + strength, device).view(n, 1, 1, 1);
}
