using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class BatchRandomTests
{
    [Fact]
    public void Coin_IsTrueForAboutPOfSamples()
    {
        using var scope = NewDisposeScope();
        var coin = BatchRandom.Coin(TestImages.Seeded(1), 20_000, 0.3, CPU);
        Assert.Equal(ScalarType.Bool, coin.dtype);
        var frac = coin.to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(frac, 0.28f, 0.32f);
    }

    [Fact]
    public void Uniform_StaysInRange_AndCoversIt()
    {
        using var scope = NewDisposeScope();
        var u = BatchRandom.Uniform(TestImages.Seeded(2), 20_000, 0.6, 1.4, CPU);
        Assert.InRange(u.min().item<float>(), 0.6f, 0.61f);
        Assert.InRange(u.max().item<float>(), 1.39f, 1.4f);
    }

    [Fact]
    public void CheckBatch_RejectsUint8WithAMessageNamingTheTransform()
    {
        using var x = zeros(1, 3, 4, 4, dtype: ScalarType.Byte);
        var e = Assert.Throws<ArgumentException>(() => BatchRandom.CheckBatch(x, "Solarize"));
        Assert.Contains("Solarize", e.Message);
        Assert.Contains("float", e.Message);
    }
}
