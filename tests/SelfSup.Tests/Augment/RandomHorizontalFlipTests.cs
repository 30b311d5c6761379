using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class RandomHorizontalFlipTests
{
    [Fact]
    public void Flip_IsExactMirror_ForChosenSamples_AndUntouchedOtherwise()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(3, [64, 3, 5, 7]);
        var y = new RandomHorizontalFlip(0.5).Apply(x, TestImages.Seeded(4));
        int flipped = 0, kept = 0;
        for (int i = 0; i < 64; i++)
        {
            if (y[i].SameAs(x[i].flip(2))) flipped++;
            else if (y[i].SameAs(x[i])) kept++;
        }
        Assert.Equal(64, flipped + kept);
        Assert.True(flipped > 0 && kept > 0, $"flipped {flipped}, kept {kept}");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void Flip_IsAppliedToAboutPOfALargeBatch(double p)
    {
        using var scope = NewDisposeScope();
        // Each image is the row [0, 1]; a flipped one starts with 1.
        var x = tensor(new float[] { 0, 1 }).view(1, 1, 1, 2).expand(10_000, 1, 1, 2).contiguous();
        var y = new RandomHorizontalFlip(p).Apply(x, TestImages.Seeded(5));
        var frac = y.select(3, 0).mean().item<float>();
        Assert.InRange(frac, p - 0.02, p + 0.02);
    }

    [Fact]
    public void Flip_WithPZeroOrOne_KeepsOrMirrorsEverySample()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(6, [8, 1, 4, 4]);
        Assert.True(new RandomHorizontalFlip(0).Apply(x, TestImages.Seeded(7)).SameAs(x));
        Assert.True(new RandomHorizontalFlip(1).Apply(x, TestImages.Seeded(7)).SameAs(x.flip(3)));
    }
}
