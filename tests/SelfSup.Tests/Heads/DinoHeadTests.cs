using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class DinoHeadTests
{
    static DinoHead Make(int input = 6, int hidden = 16, int bottleneck = 8, int output = 32)
    {
        manual_seed(0);
        return new DinoHead(new DinoHeadOptions(input, hidden, bottleneck, output));
    }

    [Fact]
    public void WeightNormRows_HaveUnitNorm()
    {
        using var head = Make();
        using var w = head.LastLayer.Weight();                          // [K, bottleneck]
        Assert.Equal(new long[] { 32, 8 }, w.shape);
        using var norms = w.norm(1);
        Assert.True(norms.allclose(ones(32), rtol: 0, atol: 1e-6), "every output row of the last layer has unit norm");
        using var vNorms = head.LastLayer.V.norm(1);
        Assert.False(vNorms.allclose(ones(32), rtol: 0, atol: 1e-3), "v itself is not normalised (the test must be able to fail)");
    }

    [Fact]
    public void TheGainIsFixedAtOne_ScalingARowOfVChangesNothing()
    {
        using var head = Make();
        Assert.Equal(["last_layer.weight_v"], head.LastLayer.named_parameters().Select(p => "last_layer." + p.name));
        using var x = randn(4, 6, generator: new Generator(3));
        using var before = head.call(x);
        using (no_grad()) head.LastLayer.V[5].mul_(7.5f);
        using var after = head.call(x);
        Assert.True(before.allclose(after, rtol: 0, atol: 1e-5));
        // Logits are cosines between the unit bottleneck and unit rows: within [−1, 1].
        Assert.True(after.abs().max().item<float>() <= 1 + 1e-5);
    }

    [Fact]
    public void ALearnedGain_ScalesEachOutput_IsTrained_AndIsDroppedWithTheLayer()
    {
        manual_seed(0);
        using var head = new DinoHead(new DinoHeadOptions(6, 16, 8, 32, NormLastLayer: false));
        Assert.Equal(["last_layer.weight_v", "last_layer.weight_g"], head.LastLayer.named_parameters().Select(p => "last_layer." + p.name));
        Assert.Equal(new long[] { 32, 1 }, head.LastLayer.Gain!.shape); // 2-D like the reference's weight_g, so it is weight-decayed there and here
        using var x = randn(4, 6, generator: new Generator(3));
        using var cosines = head.call(x);                                // g starts at 1: the fixed-gain head's cosines
        Assert.True(cosines.abs().max().item<float>() <= 1 + 1e-5);
        using (no_grad()) head.LastLayer.Gain[5].fill_(3f);
        using var scaled = head.call(x);
        Assert.True(scaled.select(1, 5).allclose(cosines.select(1, 5) * 3, rtol: 0, atol: 1e-5), "output 5 is 3 × its cosine");
        using var others = scaled.index_select(1, arange(0, 5));
        Assert.True(others.allclose(cosines.index_select(1, arange(0, 5)), rtol: 0, atol: 1e-6), "the other outputs are unchanged");
        head.call(x).select(1, 5).sum().backward();
        // d(Σ_n g₅·cos_n5)/dg₅ = Σ_n cos_n5.
        Assert.Equal(cosines.select(1, 5).sum().item<float>(), head.LastLayer.Gain.grad!.view(-1)[5].item<float>(), 4);
        head.LastLayer.DropGradient();
        Assert.Null(head.LastLayer.Gain.grad);
        Assert.Null(head.LastLayer.V.grad);
    }

    [Fact]
    public void Bottleneck_IsL2Normalised_AndTheHeadRunsOnTokens()
    {
        using var head = Make();
        using var tokens = randn(2, 5, 6, generator: new Generator(4));  // [B, T, D]
        using var z = head.Bottleneck(tokens);
        Assert.Equal(new long[] { 2, 5, 8 }, z.shape);
        Assert.True(z.norm(-1).allclose(ones(2, 5), rtol: 0, atol: 1e-5));
        using var perToken = head.call(tokens);                          // [B, T, K]
        using var flat = head.call(tokens.flatten(0, 1)).view(2, 5, 32);
        Assert.True(perToken.allclose(flat, rtol: 0, atol: 1e-6));
        Assert.Throws<ArgumentException>(() => head.call(randn(3, 7)));
    }

    [Fact]
    public void Mlp_HasThreeLinearLayers_WithGelu_TruncatedNormalWeights_AndZeroBiases()
    {
        using var head = Make(input: 64, hidden: 128, bottleneck: 32);
        var linear = head.named_parameters().Where(p => p.name.StartsWith("mlp.") && p.name.EndsWith(".weight")).ToList();
        Assert.Equal(["mlp.linear0.weight", "mlp.linear1.weight", "mlp.linear2.weight"], linear.Select(p => p.name));
        Assert.Equal(2, head.modules().OfType<TorchSharp.Modules.GELU>().Count());
        foreach (var (name, w) in linear)
        {
            Assert.True(w.abs().max().item<float>() <= 0.04f + 1e-6, $"{name} is cut at 2 std");
            Assert.Equal(0.02, w.std().item<float>(), 2);
        }
        Assert.All(head.named_parameters().Where(p => p.name.EndsWith(".bias")), p => Assert.Equal(0f, p.parameter.abs().sum().item<float>()));
    }

    [Fact]
    public void DropGradient_LeavesTheLastLayerWithoutGradient_AndTheOptimizerSkipsIt()
    {
        using var head = Make();
        using var opt = optim.AdamW(head.parameters(), 0.1, weight_decay: 0.5);
        using var before = head.LastLayer.V.detach().clone();
        using var x = randn(4, 6, generator: new Generator(5));
        head.call(x).square().sum().backward();
        Assert.NotNull(head.LastLayer.V.grad);
        head.LastLayer.DropGradient();
        Assert.Null(head.LastLayer.V.grad);
        nn.utils.clip_grad_norm_(head.parameters(), 1.0); // clipping copes with a missing gradient
        opt.step();
        Assert.True(head.LastLayer.V.eq(before).all().item<bool>(), "neither the gradient step nor weight decay touched the frozen layer");
        var first = head.named_parameters().First(p => p.name == "mlp.linear0.weight").parameter;
        Assert.NotNull(first.grad);
    }

    [Fact]
    public void WithBatchNorm_ImagesSharingALargeCommonPart_StillGetDifferentDirections()
    {
        manual_seed(3);
        using var common = randn(1, 6) * 50;
        using var x = common + randn(16, 6);                            // [16, 6]: one direction plus small noise
        static double MeanCos(Tensor z) { using var c = z.matmul(z.t()); return c.mean().item<float>(); }
        manual_seed(0);
        using var plain = new DinoHead(new DinoHeadOptions(6, 16, 8, 32));
        manual_seed(0);
        using var withBn = new DinoHead(new DinoHeadOptions(6, 16, 8, 32, BatchNorm: true));
        withBn.train();
        using var zPlain = plain.Bottleneck(x);
        using var zBn = withBn.Bottleneck(x);
        Assert.True(MeanCos(zPlain) > 0.95, $"without BatchNorm the bottleneck rows point one way (mean cosine {MeanCos(zPlain):F3})");
        Assert.True(MeanCos(zBn) < 0.5, $"BatchNorm spreads them (mean cosine {MeanCos(zBn):F3})");
    }

    [Fact]
    public void WithBatchNorm_TokensAreNormalisedAsOneBatchOfRows()
    {
        manual_seed(0);
        using var head = new DinoHead(new DinoHeadOptions(6, 16, 8, 32, BatchNorm: true));
        head.train();
        using var tokens = randn(3, 5, 6);                              // [B, N, D]
        using var onTokens = head.forward(tokens);                      // [3, 5, 32]
        using var onRows = head.forward(tokens.reshape(15, 6)).reshape(3, 5, 32);
        Assert.True(onTokens.allclose(onRows, 1e-5, 1e-6));
    }
}
