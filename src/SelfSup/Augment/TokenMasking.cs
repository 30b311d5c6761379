using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>The shares of BERT's masked-language-model corruption (Devlin et al. 2019 §3.1 and appendix A.1).</summary>
public sealed record TokenMaskingOptions
{
    /// <summary>Share of the real (non-special, non-[PAD]) tokens chosen for prediction (BERT: 0.15).</summary>
    public double ChooseProbability { get; init; } = 0.15;
    /// <summary>Share of the chosen tokens replaced by [MASK] (BERT: 0.8).</summary>
    public double MaskShare { get; init; } = 0.8;
    /// <summary>Share of the chosen tokens replaced by a random non-special token (BERT: 0.1); the rest stay unchanged.</summary>
    public double RandomShare { get; init; } = 0.1;

    public void Validate()
    {
        if (!(ChooseProbability > 0 && ChooseProbability <= 1)) throw new ArgumentException($"token masking: mask_probability must be in (0, 1], got {ChooseProbability}");
        if (!(MaskShare >= 0 && RandomShare >= 0 && MaskShare + RandomShare <= 1))
            throw new ArgumentException($"token masking: mask_share ({MaskShare}) and random_share ({RandomShare}) must be ≥ 0 with a sum ≤ 1");
    }
}

/// <summary>A corrupted batch of token sequences and what the model must predict.</summary>
/// <param name="Inputs">int64 [B, T]: the tokens with the chosen ones replaced.</param>
/// <param name="Labels">int64 [B, T]: the original id at chosen positions, <see cref="TokenMasking.Ignore"/> elsewhere.</param>
public sealed record MaskedTokens(Tensor Inputs, Tensor Labels) : IDisposable
{
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// BERT's masked-LM corruption (Devlin et al. 2019 §3.1), drawn independently per position as HuggingFace's
/// DataCollatorForLanguageModeling does: each real token is chosen with probability 0.15 (positions holding a special
/// id — [CLS], [SEP], [UNK], [MASK] — and [PAD] positions are never chosen); of the chosen ones
/// 80 % become [MASK], 10 % a uniformly drawn non-special token (the reference draws from the whole vocabulary) and
/// 10 % stay unchanged. Reproducible from a torch.Generator (null: the global one, which checkpoints save).
/// </summary>
public static class TokenMasking
{
    /// <summary>The label of positions that are not predicted (PyTorch's cross-entropy ignore_index).</summary>
    public const long Ignore = -100;

    public static MaskedTokens Apply(Tensor tokens, Tensor padding, SpecialTokens special, int vocabSize, TokenMaskingOptions? options = null, Generator? generator = null)
    {
        options ??= new TokenMaskingOptions();
        options.Validate();
        var specials = SpecialIds(special);
        if (vocabSize <= specials.Length) throw new ArgumentException($"token masking: vocabulary of {vocabSize} ids has no token beside the {specials.Length} special ones");
        if (tokens.dtype != ScalarType.Int64 || tokens.dim() != 2) throw new ArgumentException($"token masking: tokens must be int64 [B, T], got {tokens.dtype} [{string.Join(", ", tokens.shape)}]");
        if (padding.dtype != ScalarType.Bool || !padding.shape.SequenceEqual(tokens.shape)) throw new ArgumentException("token masking: padding must be bool with the tokens' shape");
        using var scope = NewDisposeScope();
        var device = tokens.device;
        var eligible = padding.logical_not(); // [B, T]
        foreach (var s in specials) eligible = eligible.logical_and(tokens.ne(s));
        var u = rand(tokens.shape, generator: generator, device: device);     // [B, T] chooses
        var w = rand(tokens.shape, generator: generator, device: device);     // [B, T] how to corrupt
        var chosen = eligible.logical_and(u.lt(options.ChooseProbability));   // [B, T]
        var toMask = chosen.logical_and(w.lt(options.MaskShare));
        var toRandom = chosen.logical_and(w.ge(options.MaskShare)).logical_and(w.lt(options.MaskShare + options.RandomShare));
        var random = RandomNonSpecial(tokens.shape, vocabSize, specials, generator, device); // [B, T]
        var inputs = tokens.masked_fill(toMask, special.Mask).where(toRandom.logical_not(), random);
        var labels = tokens.masked_fill(chosen.logical_not(), Ignore);
        return new MaskedTokens(inputs.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>The distinct special ids, ascending.</summary>
    public static long[] SpecialIds(SpecialTokens s) => new long[] { s.Pad, s.Unknown, s.Cls, s.Sep, s.Mask }.Distinct().Order().ToArray();

    /// <summary>
    /// Uniform draws from the ids that are not special: r ~ U{0 … V − S − 1}, then every special id ≤ r (ascending)
    /// shifts r up by one, a bijection onto the non-special ids.
    /// </summary>
    static Tensor RandomNonSpecial(long[] shape, int vocabSize, long[] specials, Generator? generator, Device device)
    {
        var r = randint(0, vocabSize - specials.Length, shape, generator: generator, device: device); // [B, T]
        foreach (var s in specials) r = r + r.ge(s).to(ScalarType.Int64);
        return r;
    }
}
