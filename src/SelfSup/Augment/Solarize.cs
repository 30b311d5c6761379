using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Inverts pixels at or above <see cref="Threshold"/> (x → 1 − x) in a sample with probability <see cref="P"/>;
/// BYOL uses it on one of its two views.
/// </summary>
public sealed class Solarize : IBatchTransform
{
    public double Threshold { get; }
    public double P { get; }

    public Solarize(double threshold = 0.5, double p = 0.2)
    {
        BatchRandom.CheckProbability(p, nameof(Solarize), nameof(p));
        Threshold = threshold;
        P = p;
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(Solarize));
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var chosen = BatchRandom.Coin(generator, b, P, x.device).view(b, 1, 1, 1);
        var invert = x.ge(Threshold).logical_and_(chosen); // [B, C, H, W]
        return where(invert, x.neg().add_(1), x).MoveToOuterDisposeScope();
    }
}
