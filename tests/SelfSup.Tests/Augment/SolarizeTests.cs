using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class SolarizeTests
{
    [Fact]
    public void Solarize_InvertsOnlyValuesAtOrAboveThreshold()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0f, 0.2f, 0.49f, 0.5f, 0.7f, 1f }).view(1, 1, 1, 6);
        var y = new Solarize(0.5, p: 1).Apply(x, TestImages.Seeded(1));
        var expected = new float[] { 0f, 0.2f, 0.49f, 0.5f, 0.3f, 0f };
        var got = y.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 6);
    }

    [Fact]
    public void Solarize_WithPZero_IsIdentity()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(2, [16, 3, 4, 4]);
        Assert.True(new Solarize(0.5, p: 0).Apply(x, TestImages.Seeded(3)).SameAs(x));
    }

    [Fact]
    public void Solarize_IsChosenPerSample()
    {
        using var scope = NewDisposeScope();
        var x = full(2000, 1, 1, 1, 0.8f);
        var y = new Solarize(0.5, p: 0.3).Apply(x, TestImages.Seeded(4));
        var inverted = y.lt(0.5f).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(inverted, 0.26f, 0.34f);
    }
}
