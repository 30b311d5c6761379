using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Replaces a sample by its ITU-R 601 luma on all three channels with probability <see cref="P"/>, so the encoder
/// cannot rely on colour alone. A 1-channel batch is already gray and passes through unchanged.
/// </summary>
public sealed class RandomGrayscale : IBatchTransform
{
    public double P { get; }

    public RandomGrayscale(double p = 0.2)
    {
        BatchRandom.CheckProbability(p, nameof(RandomGrayscale), nameof(p));
        P = p;
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(RandomGrayscale));
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var chosen = BatchRandom.Coin(generator, b, P, x.device).view(b, 1, 1, 1);
        if (x.shape[1] == 1) return x.clone().MoveToOuterDisposeScope();
        var gray = ColorSpace.Grayscale(x).expand_as(x); // [B, 3, H, W]
        return where(chosen, gray, x).MoveToOuterDisposeScope();
    }
}
