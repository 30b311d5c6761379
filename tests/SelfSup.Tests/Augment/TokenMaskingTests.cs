using SelfSup.Augment;
using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public sealed class TokenMaskingTests
{
    // Special ids deliberately not contiguous, to exercise the draw of random non-special tokens.
    static readonly SpecialTokens Special = new(Pad: 0, Unknown: 5, Cls: 1, Sep: 2, Mask: 9);
    const int Vocab = 40;

    /// <summary>[B, T] sequences: [CLS] w… [SEP] then [PAD]s, the words drawn from the non-special ids, one [UNK] each.</summary>
    static (Tensor Tokens, Tensor Padding) Sequences(int batch, int length, int seed)
    {
        var rng = new Random(seed);
        var nonSpecial = Enumerable.Range(0, Vocab).Where(i => !TokenMasking.SpecialIds(Special).Contains(i)).ToArray();
        var data = new long[batch * length];
        for (var b = 0; b < batch; b++)
        {
            var real = rng.Next(length / 2, length); // [CLS] + words + [SEP] fill `real` positions
            for (var t = 0; t < length; t++)
                data[b * length + t] = t == 0 ? Special.Cls : t == real - 1 ? Special.Sep : t >= real ? Special.Pad : t == 1 ? Special.Unknown : nonSpecial[rng.Next(nonSpecial.Length)];
        }
        var tokens = tensor(data, ScalarType.Int64).reshape(batch, length);
        return (tokens, tokens.eq(Special.Pad));
    }

    [Fact]
    public void SpecialTokensAndPads_AreNeverChosen_EvenWhenEveryRealTokenIs()
    {
        var (tokens, padding) = Sequences(16, 20, 1);
        using var m = TokenMasking.Apply(tokens, padding, Special, Vocab, new TokenMaskingOptions { ChooseProbability = 1.0 }, new Generator(3));
        var chosen = m.Labels.ne(TokenMasking.Ignore);
        var special = padding.clone();
        foreach (var s in TokenMasking.SpecialIds(Special)) special = special.logical_or(tokens.eq(s));
        Assert.Equal(0, chosen.logical_and(special).sum().item<long>());
        Assert.Equal(special.logical_not().sum().item<long>(), chosen.sum().item<long>()); // every real token chosen
        // Unchosen positions keep their token, and labels hold the original id where chosen.
        Assert.True(m.Inputs.where(chosen.logical_not(), tokens).eq(tokens).all().item<bool>());
        Assert.True(m.Labels.where(chosen, tokens).eq(tokens).all().item<bool>());
    }

    [Fact]
    public void OnManyTokens_TheSharesAre15Then80_10_10()
    {
        var (tokens, padding) = Sequences(400, 64, 2);
        using var m = TokenMasking.Apply(tokens, padding, Special, Vocab, generator: new Generator(7));
        var specials = TokenMasking.SpecialIds(Special);
        var real = padding.logical_not();
        foreach (var s in specials) real = real.logical_and(tokens.ne(s));
        var chosen = m.Labels.ne(TokenMasking.Ignore);
        double nReal = real.sum().item<long>(), nChosen = chosen.sum().item<long>();
        var masked = chosen.logical_and(m.Inputs.eq(Special.Mask)).sum().item<long>();
        var unchanged = chosen.logical_and(m.Inputs.eq(tokens)).sum().item<long>();
        var replaced = chosen.logical_and(m.Inputs.ne(tokens)).logical_and(m.Inputs.ne(Special.Mask));
        // A random replacement equal to the original counts as unchanged: expected 0.1 × 1/35 of the chosen ones.
        var nonSpecial = Vocab - specials.Length;
        Assert.InRange(nChosen / nReal, 0.14, 0.16);
        Assert.InRange(masked / nChosen, 0.78, 0.82);
        Assert.InRange(replaced.sum().item<long>() / nChosen, 0.1 * (1 - 1.0 / nonSpecial) - 0.015, 0.1 * (1 - 1.0 / nonSpecial) + 0.015);
        Assert.InRange(unchanged / nChosen, 0.1 + 0.1 / nonSpecial - 0.015, 0.1 + 0.1 / nonSpecial + 0.015);
        // Random replacements are never special ids.
        var drawn = m.Inputs.masked_select(replaced);
        foreach (var s in specials) Assert.Equal(0, drawn.eq(s).sum().item<long>());
    }

    [Fact]
    public void RandomReplacements_CoverEveryNonSpecialId()
    {
        var (tokens, padding) = Sequences(200, 64, 3);
        using var m = TokenMasking.Apply(tokens, padding, Special, Vocab,
            new TokenMaskingOptions { ChooseProbability = 1.0, MaskShare = 0, RandomShare = 1 }, new Generator(4));
        var drawn = m.Inputs.masked_select(m.Labels.ne(TokenMasking.Ignore)).data<long>().ToHashSet();
        var expected = Enumerable.Range(0, Vocab).Select(i => (long)i).Except(TokenMasking.SpecialIds(Special)).ToHashSet();
        Assert.Equal(expected.Order(), drawn.Order());
    }

    [Fact]
    public void TheSameGenerator_GivesTheSameMasks()
    {
        var (tokens, padding) = Sequences(8, 16, 4);
        using var a = TokenMasking.Apply(tokens, padding, Special, Vocab, generator: new Generator(11));
        using var b = TokenMasking.Apply(tokens, padding, Special, Vocab, generator: new Generator(11));
        Assert.True(a.Inputs.eq(b.Inputs).all().item<bool>() && a.Labels.eq(b.Labels).all().item<bool>());
    }

    [Fact]
    public void SharesAboveOne_AreRejectedNamingTheFields()
    {
        var (tokens, padding) = Sequences(2, 8, 5);
        var e = Assert.Throws<ArgumentException>(() => TokenMasking.Apply(tokens, padding, Special, Vocab, new TokenMaskingOptions { MaskShare = 0.95, RandomShare = 0.1 }));
        Assert.Contains("mask_share", e.Message);
    }
}
