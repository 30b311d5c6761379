using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public sealed class TransformerTextEncoderTests
{
    static readonly TextEncoderOptions Small = new() { Dim = 16, Depth = 2, Heads = 2, MaxLength = 12 };
    const int Vocab = 30;
    const int Pad = 0;

    /// <summary>Two sequences: [CLS]=2 … [SEP]=3, the second one padded to the first's length.</summary>
    static (Tensor Tokens, Tensor Padding) Batch(int extraPads = 0)
    {
        long[][] rows = [[2, 7, 8, 9, 10, 3], [2, 11, 12, 3, Pad, Pad]];
        var t = rows.Select(r => r.Concat(Enumerable.Repeat((long)Pad, extraPads)).ToArray()).ToArray();
        var tokens = tensor(t.SelectMany(r => r).ToArray(), ScalarType.Int64).reshape(2, t[0].Length); // [B, T]
        return (tokens, tokens.eq(Pad)); // padding [B, T]
    }

    [Fact]
    public void ForwardTokens_GivesStatesOfTheWidth_AndPoolOneVectorPerSequence()
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small);
        var (tokens, padding) = Batch();
        using var states = encoder.ForwardTokens(tokens, padding);
        Assert.Equal(new long[] { 2, 6, 16 }, states.shape);
        using var pooled = encoder.call(tokens, padding);
        Assert.Equal(new long[] { 2, 16 }, pooled.shape);
        TensorAssert.Identical(states.select(1, 0), pooled, "[CLS] pooling");
    }

    [Theory]
    [InlineData(TextPooling.Cls)]
    [InlineData(TextPooling.MaskedMean)]
    public void AppendingPads_ChangesNeitherTheRealTokensStates_NorTheEmbedding(TextPooling pooling)
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small with { Pooling = pooling });
        encoder.eval();
        var (tokens, padding) = Batch();
        var (longer, longerPadding) = Batch(extraPads: 5);
        using var short_ = encoder.ForwardTokens(tokens, padding);
        using var long_ = encoder.ForwardTokens(longer, longerPadding);
        TensorAssert.Close(short_[0], long_[0].narrow(0, 0, 6), 1e-5, "first sequence's states");
        TensorAssert.Close(short_[1].narrow(0, 0, 4), long_[1].narrow(0, 0, 4), 1e-5, "second sequence's real tokens");
        TensorAssert.Close(encoder.call(tokens, padding), encoder.call(longer, longerPadding), 1e-5, "pooled embedding");
    }

    [Fact]
    public void ThePaddedPositionsTokens_DoNotAffectTheOtherTokens()
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small);
        var (tokens, padding) = Batch();
        using var other = tokens.clone();
        other[1, 4] = tensor(25L); // a different id under the [PAD] mask
        other[1, 5] = tensor(17L);
        using var a = encoder.ForwardTokens(tokens, padding);
        using var b = encoder.ForwardTokens(other, padding);
        TensorAssert.Identical(a[1].narrow(0, 0, 4), b[1].narrow(0, 0, 4), "real tokens' states");
        Assert.True((a[1, 4] - b[1, 4]).abs().max().item<float>() > 0, "the padded position's own state should follow its input");
    }

    [Fact]
    public void MaskedMeanPooling_IsTheMeanOfTheRealTokensStates()
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small with { Pooling = TextPooling.MaskedMean });
        var (tokens, padding) = Batch();
        using var states = encoder.ForwardTokens(tokens, padding);
        using var pooled = encoder.Pool(states, padding);
        TensorAssert.Close(states[1].narrow(0, 0, 4).mean([0L]), pooled[1], 1e-6, "second sequence's mean");
        TensorAssert.Close(states[0].mean([0L]), pooled[0], 1e-6, "first sequence's mean");
    }

    [Fact]
    public void Gradient_ReachesEveryParameter()
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small);
        var (tokens, padding) = Batch();
        using var loss = encoder.ForwardTokens(tokens, padding).pow(2).mean();
        loss.backward();
        foreach (var (name, p) in encoder.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"{name}: no gradient");
    }

    [Fact]
    public void TooLongASequence_IsRejectedNamingMaxLength()
    {
        using var encoder = new TransformerTextEncoder(Vocab, Small with { MaxLength = 4 });
        var (tokens, padding) = Batch();
        var e = Assert.Throws<ArgumentException>(() => encoder.ForwardTokens(tokens, padding));
        Assert.Contains("max_length 4", e.Message);
    }

    [Fact]
    public void AttentionWithoutPaddingMask_IsTheVitPathUnchanged()
    {
        using var attention = new Attention(16, 2);
        using var x = randn(3, 5, 16, generator: new Generator(1));
        using var plain = attention.call(x);
        using var none = attention.Forward(x, keyPadding: null);
        using var allReal = attention.Forward(x, zeros(3, 5, ScalarType.Bool));
        TensorAssert.Identical(plain, none, "no mask");
        TensorAssert.Close(plain, allReal, 1e-6, "an all-false mask");
        using var block = new TransformerBlock(16, 2);
        using var viaForward = block.call(x);
        using var viaMask = block.Forward(x, null);
        TensorAssert.Identical(viaForward, viaMask, "block without a mask");
    }

    [Fact]
    public void AttentionWithPaddingMask_GivesPaddedKeysNoWeight()
    {
        using var attention = new Attention(8, 2);
        using var x = randn(1, 4, 8, generator: new Generator(2));
        var padding = tensor(new[] { false, false, true, true }).reshape(1, 4);
        using var masked = attention.Forward(x, padding);
        // Replacing the padded positions' inputs changes nothing for the real positions' outputs.
        using var y = x.clone();
        y.narrow(1, 2, 2).copy_(randn(1, 2, 8, generator: new Generator(3)));
        using var maskedY = attention.Forward(y, padding);
        TensorAssert.Close(masked.narrow(1, 0, 2), maskedY.narrow(1, 0, 2), 1e-6, "real positions");
        // and equals attention over the real positions alone
        using var alone = attention.call(x.narrow(1, 0, 2));
        TensorAssert.Close(alone, masked.narrow(1, 0, 2), 1e-5, "attention over the real keys only");
    }
}
