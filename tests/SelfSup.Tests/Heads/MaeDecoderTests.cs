using SelfSup.Heads;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class MaeDecoderTests
{
    [Fact]
    public void LinearWeights_AreXavierUniform_AsInTheReferenceMae()
    {
        using var decoder = new MaeDecoder(48, 32, 2, 4, 4, 24);
        var linears = decoder.named_modules().Where(m => m.module is Linear).ToList();
        Assert.Equal(2 + 2 * 4, linears.Count); // embed, prediction, and qkv, proj, fc1, fc2 per block
        foreach (var (name, module) in linears)
        {
            var linear = (Linear)module;
            var w = linear.weight!;
            var (fanOut, fanIn) = (w.shape[0], w.shape[1]);
            var bound = Math.Sqrt(6.0 / (fanIn + fanOut));
            var max = w.abs().max().item<float>();
            Assert.True(max <= bound + 1e-7, $"{name}: max |w| {max} above the xavier bound {bound}");
            // Uniform on (−bound, bound): the extremes are reached and std = bound/√3 (a std-0.02 normal is not).
            Assert.True(max > 0.9 * bound, $"{name}: max |w| {max} far below the xavier bound {bound}");
            Assert.Equal(1.0, w.std().item<float>() / (bound / Math.Sqrt(3)), 0.12);
            Assert.Equal(0f, linear.bias!.abs().max().item<float>());
        }
    }

    [Fact]
    public void Forward_PredictsEveryPatch_InTheOriginalOrder()
    {
        using var decoder = new MaeDecoder(24, 16, 1, 2, 4, 12);
        using var latent = randn(3, 1 + 4, 24);
        using var restore = rand(3, 16).argsort(1).argsort(1);
        using var pred = decoder.Forward(latent, restore);
        Assert.Equal(new long[] { 3, 16, 12 }, pred.shape);
        Assert.Contains("built for 16 tokens", Assert.Throws<ArgumentException>(() => decoder.Forward(latent, zeros(3, 9, dtype: ScalarType.Int64))).Message);
    }
}
