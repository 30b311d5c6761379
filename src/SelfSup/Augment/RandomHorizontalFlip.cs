using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>Mirrors each sample left–right with probability <see cref="P"/>; an exact flip, no resampling.</summary>
public sealed class RandomHorizontalFlip : IBatchTransform
{
    public double P { get; }

    public RandomHorizontalFlip(double p = 0.5)
    {
        BatchRandom.CheckProbability(p, nameof(RandomHorizontalFlip), nameof(p));
        P = p;
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(RandomHorizontalFlip));
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var chosen = BatchRandom.Coin(generator, b, P, x.device).view(b, 1, 1, 1);
        return where(chosen, x.flip(3), x).MoveToOuterDisposeScope();
    }
}
