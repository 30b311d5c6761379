using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class RandomGrayscaleTests
{
    [Fact]
    public void Grayscale_HasEqualChannels_WithItu601Luma()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(1, [4, 3, 6, 6]);
        var y = new RandomGrayscale(p: 1).Apply(x, TestImages.Seeded(2));
        Assert.Equal(x.shape, y.shape);
        var luma = x[.., 0] * 0.299f + x[.., 1] * 0.587f + x[.., 2] * 0.114f; // [B, H, W]
        for (int c = 0; c < 3; c++)
            Assert.True(TestImages.MaxAbsDiff(y[.., c], luma) < 1e-6f);
    }

    [Fact]
    public void Grayscale_IsAppliedToAboutPOfSamples_AndLeavesOthersUntouched()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(3, [4000, 3, 1, 2]);
        var y = new RandomGrayscale(p: 0.2).Apply(x, TestImages.Seeded(4));
        var gray = y[.., 0].eq(y[.., 1]).all(1).all(1); // [B]
        var same = y.eq(x).all(3).all(2).all(1); // [B]
        Assert.True(gray.logical_xor(same).all().item<bool>());
        Assert.InRange(gray.to(ScalarType.Float32).mean().item<float>(), 0.18f, 0.22f);
    }

    [Fact]
    public void Grayscale_OfOneChannelBatch_IsUnchanged()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(5, [4, 1, 3, 3]);
        Assert.True(new RandomGrayscale(p: 1).Apply(x, TestImages.Seeded(6)).SameAs(x));
    }
}
