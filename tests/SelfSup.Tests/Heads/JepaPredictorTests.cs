using SelfSup.Heads;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class JepaPredictorTests
{
    // N(0, σ²) cut at ±2σ has std σ·√(1 − 4φ(2)/(Φ(2) − Φ(−2))) ≈ 0.8796·σ.
    const double TruncatedStd = 0.02 * 0.8796;

    [Fact]
    public void LinearWeights_AreTruncatedNormal_WithBlockOutputsScaledByDepth_AsInTheReferencePredictor()
    {
        using var predictor = new JepaPredictor(48, 32, 3, 4, 4);
        var linears = predictor.named_modules().Where(m => m.module is Linear).ToList();
        Assert.Equal(2 + 3 * 4, linears.Count);
        foreach (var (name, module) in linears)
        {
            var linear = (Linear)module;
            // fix_init_weight: block l (1-based) divides attn.proj and mlp.fc2 by √(2·l); the other layers keep std 0.02.
            var scale = 1.0;
            if (name.EndsWith("attn.proj") || name.EndsWith("mlp.fc2"))
                scale = 1 / Math.Sqrt(2.0 * (int.Parse(name.Split('.')[2]) + 1));
            var w = linear.weight!;
            var max = w.abs().max().item<float>();
            Assert.True(max <= 2 * 0.02 * scale + 1e-7, $"{name}: max |w| {max} beyond ±2σ with σ = {0.02 * scale}");
            Assert.Equal(1.0, w.std().item<float>() / (TruncatedStd * scale), 0.12);
            Assert.Equal(0f, linear.bias!.abs().max().item<float>());
        }
    }

    [Fact]
    public void Forward_PredictsOneEmbeddingPerTargetIndex_AtTheEncoderWidth()
    {
        using var predictor = new JepaPredictor(24, 16, 1, 2, 4);
        using var context = randn(2, 5, 24);
        using var contextIdx = tensor(new long[] { 0, 1, 2, 3, 4, /**/ 5, 6, 7, 8, 9 }).view(2, 5);
        using var targetIdx = tensor(new long[] { 10, 11, 12, /**/ 13, 14, 15 }).view(2, 3);
        using var pred = predictor.Forward(context, contextIdx, targetIdx);
        Assert.Equal(new long[] { 2, 3, 24 }, pred.shape);
        // Two queries differ only by their position, so their predictions differ.
        Assert.True((pred[0, 0] - pred[0, 1]).abs().max().item<float>() > 1e-5, "target positions do not reach the queries");
    }
}
