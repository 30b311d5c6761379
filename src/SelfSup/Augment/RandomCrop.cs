using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// The CIFAR crop of supervised training and of RotNet's official code (torchvision <c>RandomCrop(32, padding=4)</c>):
/// each sample is zero-padded by <see cref="Padding"/> pixels on every side and a window of the original size is cut at
/// an offset drawn uniformly per sample, a shift of up to ±<see cref="Padding"/> pixels with no resampling.
/// </summary>
public sealed class RandomCrop : IBatchTransform
{
    public int Padding { get; }

    public RandomCrop(int padding)
    {
        if (padding < 0) throw new ArgumentException($"RandomCrop: padding must be ≥ 0, got {padding}");
        Padding = padding;
    }

    public Tensor Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(RandomCrop));
        using var scope = NewDisposeScope();
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var span = 2 * Padding + 1;
        var top = BatchRandom.Uniform(generator, b, 0, span, x.device).floor_().clamp_max_(span - 1).to(ScalarType.Int64);  // [B]
        var left = BatchRandom.Uniform(generator, b, 0, span, x.device).floor_().clamp_max_(span - 1).to(ScalarType.Int64); // [B]
        var padded = nn.functional.pad(x, [Padding, Padding, Padding, Padding]);                                           // [B, C, H+2p, W+2p]
        var rows = top.view(b, 1, 1, 1) + arange(h, device: x.device).view(1, 1, h, 1);                                    // [B, 1, H, 1]
        var cols = left.view(b, 1, 1, 1) + arange(w, device: x.device).view(1, 1, 1, w);                                   // [B, 1, 1, W]
        var cut = padded.gather(2, rows.expand(b, c, h, w + 2 * Padding));                                                 // [B, C, H, W+2p]
        return cut.gather(3, cols.expand(b, c, h, w)).MoveToOuterDisposeScope();                                            // [B, C, H, W]
    }
}
