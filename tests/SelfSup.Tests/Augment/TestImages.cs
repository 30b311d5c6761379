using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

/// <summary>Small synthetic batches shared by the augmentation tests.</summary>
static class TestImages
{
    /// <summary>Uniform float batch in [lo, hi) drawn from a fixed seed.</summary>
    public static Tensor Uniform(long seed, long[] shape, double lo = 0, double hi = 1)
    {
        TorchRuntime.Initialize();
        var g = new Generator((ulong)seed);
        return rand(shape, generator: g).mul_(hi - lo).add_(lo);
    }

    public static Generator Seeded(long seed)
    {
        TorchRuntime.Initialize();
        return new Generator((ulong)seed);
    }

    /// <summary>Same shape and bit-identical values.</summary>
    public static bool SameAs(this Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs_().max();
        return d.item<float>();
    }

    /// <summary>A [1, 3, 1, N] batch whose N pixels are the given RGB triples.</summary>
    public static Tensor Pixels(params float[][] rgb)
    {
        var n = rgb.Length;
        var flat = new float[3 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) flat[c * n + i] = rgb[i][c];
        return tensor(flat).view(1, 3, 1, n);
    }

    public static float[] Pixel(Tensor t, int i) =>
        [t[0, 0, 0, i].item<float>(), t[0, 1, 0, i].item<float>(), t[0, 2, 0, i].item<float>()];
}
