using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

/// <summary>Small synthetic image sets for the evaluation tests.</summary>
internal static class EvalData
{
    /// <summary>Uniform random uint8 images [n, 3, size, size] with labels i mod classes.</summary>
    public static ImageDataset RandomImages(int n, int size = 8, int classes = 4, long seed = 0)
    {
        using var g = new Generator((ulong)seed);
        var images = randint(0, 256, [n, 3, size, size], generator: g).to(ScalarType.Byte);
        return new ImageDataset("random", images, Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray());
    }

    /// <summary>
    /// Images whose class sets the mean brightness of one channel (class c brightens channel c mod 3, dims it for
    /// c ≥ 3) plus noise: easy for pixels, and for any encoder that keeps colour.
    /// </summary>
    public static ImageDataset ColourClasses(int n, int classes, int size = 8, long seed = 0)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray();
        var images = full([n, 3, size, size], 100f); // [N, 3, s, s]
        for (var i = 0; i < n; i++)
        {
            var c = labels[i];
            images[i, c % 3].fill_(c < 3 ? 200f : 20f);
        }
        images.add_(randn([n, 3, size, size], generator: g).mul_(15f));
        var packed = images.clamp(0, 255).to(ScalarType.Byte).MoveToOuterDisposeScope();
        return new ImageDataset("colour", packed, labels);
    }
}
