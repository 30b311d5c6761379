using SelfSup.Encoders.Transformer;
using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders.Transformer;

public class TransformerStackTests
{
    // One block of width D: 2 LayerNorms (4D) + qkv (3D² + 3D) + proj (D² + D) + fc1 (4D² + 4D) + fc2 (4D² + D).
    static long BlockParameters(long d) => 4 * d + 3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d;

    [Fact]
    public void MaeDecoder_HasTheParametersOfEmbedMaskTokenBlocksNormAndPrediction()
    {
        using var decoder = new MaeDecoder(24, 16, 2, 2, 4, 12);
        // embed 24·16 + 16, mask token 16, 2 blocks, norm 2·16, prediction 16·12 + 12.
        var expected = 24 * 16 + 16 + 16 + 2 * BlockParameters(16) + 32 + 16 * 12 + 12;
        Assert.Equal(7212, expected);
        Assert.Equal(expected, decoder.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void JepaPredictor_HasTheParametersOfEmbedMaskTokenBlocksNormAndProjection()
    {
        using var predictor = new JepaPredictor(24, 16, 3, 2, 4);
        var expected = 24 * 16 + 16 + 16 + 3 * BlockParameters(16) + 32 + 16 * 24 + 24;
        Assert.Equal(expected, predictor.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Positions_AreAFixedSinCosBuffer_NotAParameter()
    {
        using var stack = new TransformerStack(8, 16, 1, 2, 3, 5, TransformerStackInit.XavierUniform, "test stack");
        Assert.DoesNotContain(stack.named_parameters(), p => p.name.Contains("pos_embed"));
        var buffer = stack.named_buffers().Single(b => b.name == "pos_embed").buffer;
        using var expected = SinCosPositions.Grid2D(16, 3, 3);
        TensorAssert.Identical(expected, buffer, "positions");
        Assert.Equal(9, stack.Tokens);
        Assert.Equal(["blocks", "embed", "norm", "proj"], stack.named_children().Select(c => c.name).Order().ToArray());
    }

    [Fact]
    public void Predict_ProjectsOnlyTheRequestedSlice_AfterEveryTokenWentThroughTheBlocks()
    {
        using var stack = new TransformerStack(8, 16, 1, 2, 2, 5, TransformerStackInit.XavierUniform, "test stack");
        using var h = randn(2, 6, 16, generator: new Generator(1));
        using var all = stack.Predict(h, 0, 6);
        using var tail = stack.Predict(h, 4, 2);
        Assert.Equal(new long[] { 2, 2, 5 }, tail.shape);
        TensorAssert.Close(all.narrow(1, 4, 2), tail, 1e-6, "slice");
        // Attention mixes tokens: changing token 0 changes the output at token 4.
        using var changed = h.clone();
        changed[0, 0].add_(randn(16, generator: new Generator(2))); // a constant shift would vanish in LayerNorm
        using var moved = stack.Predict(changed, 4, 2);
        Assert.True((moved - tail).abs().max().item<float>() > 1e-4, "token 0 did not reach token 4");
    }

    [Fact]
    public void MaskTokens_AreOneSharedVectorRepeated()
    {
        using var stack = new TransformerStack(8, 16, 1, 2, 2, 5, TransformerStackInit.XavierUniform, "test stack");
        using var m = stack.MaskTokens(3, 4);
        Assert.Equal(new long[] { 3, 4, 16 }, m.shape);
        TensorAssert.Identical(m[0, 0], m[2, 3], "mask tokens");
        Assert.True(m[0, 0].abs().sum().item<float>() > 0, "mask token is initialised N(0, 0.02²), not left at zero");
    }

    [Fact]
    public void InvalidWidths_AreRejectedNamingTheOwner()
    {
        Assert.Contains("MAE decoder: width must be a positive multiple of 4", Assert.Throws<ArgumentException>(() => new MaeDecoder(8, 18, 1, 2, 2, 4)).Message);
        Assert.Contains("I-JEPA predictor: depth", Assert.Throws<ArgumentException>(() => new JepaPredictor(8, 16, 0, 2, 2)).Message);
        Assert.Contains("divisible by heads 3", Assert.Throws<ArgumentException>(() => new JepaPredictor(8, 16, 1, 3, 2)).Message);
    }
}
