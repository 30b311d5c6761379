using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class FeatureStandardizerTests
{
    public FeatureStandardizerTests() => TorchRuntime.Initialize();

    [Fact]
    public void Apply_UsesTrainStatisticsOnly()
    {
        // Column 0: mean 2, population std √(2/3); column 1 is constant (std 0 → only centred).
        using var train = tensor(new float[,] { { 1, 10 }, { 2, 10 }, { 3, 10 } });
        using var test = tensor(new float[,] { { 5, 12 }, { 105, 1012 } });
        using var s = FeatureStandardizer.Fit(train);
        using var z = s.Apply(test);
        var std = Math.Sqrt(2.0 / 3.0);
        Assert.Equal((5 - 2) / std, z[0, 0].item<float>(), 1e-4);
        Assert.Equal(2, z[0, 1].item<float>(), 1e-5);
        Assert.Equal((105 - 2) / std, z[1, 0].item<float>(), 1e-3);
        Assert.Equal(1002, z[1, 1].item<float>(), 1e-3);
    }

    [Fact]
    public void Fit_MakesTrainFeaturesZeroMeanUnitStd()
    {
        using var g = new Generator(3);
        using var train = randn([500, 6], generator: g).mul_(4).add_(7);
        using var s = FeatureStandardizer.Fit(train);
        using var z = s.Apply(train);
        Assert.True(z.mean([0L]).abs().max().item<float>() < 1e-4);
        Assert.True(z.std(0, unbiased: false).sub(1).abs().max().item<float>() < 1e-4);
    }
}
