using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class RandomCropTests
{
    [Fact]
    public void ZeroPadding_LeavesTheImagesAsTheyAre()
    {
        using var x = rand(3, 2, 5, 5);
        using var y = new RandomCrop(0).Apply(x, new Generator(1));
        Assert.True(y.allclose(x, 0, 0));
    }

    [Fact]
    public void EachImage_IsItselfShiftedByAtMostThePadding_WithZerosComingIn_AndShiftsDifferPerImage()
    {
        const int n = 32;
        using var x = (arange(9, ScalarType.Float32).add(1).view(1, 1, 3, 3)).expand(n, 2, 3, 3).contiguous(); // values 1…9, no zeros
        using var y = new RandomCrop(1).Apply(x, new Generator(4));
        Assert.Equal(new long[] { n, 2, 3, 3 }, y.shape);
        var seen = new HashSet<(int, int)>();
        for (var i = 0; i < n; i++)
        {
            var match = Shifts().Where(s => Shifted(x[0], s.Dy, s.Dx).allclose(y[i], 0, 0)).ToList();
            Assert.Single(match);
            seen.Add(match[0]);
        }
        Assert.True(seen.Count >= 5, $"only {seen.Count} of the 9 shifts in {n} images");
    }

    static IEnumerable<(int Dy, int Dx)> Shifts() =>
        from dy in Enumerable.Range(-1, 3) from dx in Enumerable.Range(-1, 3) select (dy, dx);

    /// <summary>The crop at offset (1 + dy, 1 + dx) of the 1-padded image, by hand: pixel (r, c) ← (r + dy, c + dx), zero outside.</summary>
    static Tensor Shifted(Tensor image, int dy, int dx)
    {
        var output = zeros_like(image);
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 3; c++)
                if (r + dy is >= 0 and < 3 && c + dx is >= 0 and < 3)
                    output[.., r, c] = image[.., r + dy, c + dx];
        return output;
    }
}
