using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class InputNoiseTests
{
    static Tensor Grey() => full(new long[] { 8, 1, 32, 32 }, 0.5f);

    [Fact]
    public void Masking_ZeroesAboutTheFraction_AndLeavesTheRest()
    {
        using var x = Grey();
        using var y = InputNoise.Apply(x, NoiseKind.Masking, 0.25, new Generator(1));
        var zeroed = y.eq(0).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(zeroed, 0.23, 0.27);                                        // 8,192 entries
        Assert.Equal(1f - zeroed, y.eq(0.5f).to(ScalarType.Float32).mean().item<float>(), 6);
    }

    [Fact]
    public void SaltAndPepper_SetsTheFractionToZeroOrOne_InAboutEqualShares()
    {
        using var x = Grey();
        using var y = InputNoise.Apply(x, NoiseKind.SaltAndPepper, 0.4, new Generator(2));
        var salt = y.eq(1).to(ScalarType.Float32).mean().item<float>();
        var pepper = y.eq(0).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(salt, 0.17, 0.23);
        Assert.InRange(pepper, 0.17, 0.23);
        Assert.Equal(1f - salt - pepper, y.eq(0.5f).to(ScalarType.Float32).mean().item<float>(), 6);
    }

    [Fact]
    public void Gaussian_AddsNoiseOfTheGivenStd()
    {
        using var x = Grey();
        using var y = InputNoise.Apply(x, NoiseKind.Gaussian, 0.1, new Generator(3));
        using var noise = y - x;
        Assert.InRange(noise.std().item<float>(), 0.095, 0.105);
        Assert.InRange(noise.mean().item<float>(), -0.005, 0.005);
    }

    [Fact]
    public void OneSeed_GivesOneCorruption_AndLevelZeroNone()
    {
        using var x = Grey();
        using var a = InputNoise.Apply(x, NoiseKind.SaltAndPepper, 0.3, new Generator(4));
        using var b = InputNoise.Apply(x, NoiseKind.SaltAndPepper, 0.3, new Generator(4));
        Assert.True(a.eq(b).all().item<bool>());
        using var none = InputNoise.Apply(x, NoiseKind.Masking, 0, new Generator(4));
        Assert.True(none.eq(x).all().item<bool>());
    }

    [Theory]
    [InlineData(NoiseKind.Masking, 1.5)]
    [InlineData(NoiseKind.SaltAndPepper, -0.1)]
    [InlineData(NoiseKind.Gaussian, -1)]
    public void InvalidLevels_AreRejectedNamingTheField(NoiseKind kind, double level)
    {
        using var x = Grey();
        Assert.StartsWith("noise_level", Assert.Throws<ArgumentException>(() => InputNoise.Apply(x, kind, level, null)).Message);
    }
}
