using SelfSup.Encoders.Transformer;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders.Transformer;

public class DropPathTests
{
    [Fact]
    public void InTraining_DropsWholeSamples_AndRescalesTheKeptOnes()
    {
        using var dp = new DropPath(0.5);
        dp.train();
        manual_seed(3);
        using var x = ones(64, 5, 4);
        using var y = dp.call(x);
        using var perSample = y.amax([1, 2]);
        using var perSampleMin = y.amin([1, 2]);
        TensorAssert.Identical(perSample, perSampleMin, "one decision per sample");
        var values = perSample.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v == 0f || v == 2f));
        Assert.Contains(0f, values);
        Assert.Contains(2f, values);
    }

    [Fact]
    public void InEval_IsTheIdentity()
    {
        using var dp = new DropPath(0.5);
        dp.eval();
        using var x = randn(8, 3);
        using var y = dp.call(x);
        TensorAssert.Identical(x, y, "eval drop path");
    }
}
