using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Text;

/// <summary>
/// Texts to the input of a <see cref="Encoders.TextEncoder"/>: every sequence is [CLS] + its pieces + [SEP] (BERT's
/// single-sentence layout), cut to <c>maxLength</c> tokens by dropping pieces from the end ([SEP] stays last), and
/// filled with [PAD] to the batch's length.
/// </summary>
public static class TokenBatch
{
    /// <summary>
    /// Token ids [B, T] (int64) and padding mask [B, T] (bool, true at [PAD]) of <paramref name="texts"/>. T is the
    /// longest sequence of the batch, at most <paramref name="maxLength"/>; with <paramref name="padToMaxLength"/> it is
    /// always <paramref name="maxLength"/>. The tensors are on <paramref name="device"/> (CPU when null).
    /// </summary>
    public static (Tensor Tokens, Tensor Padding) Encode(ITokenizer tokenizer, IReadOnlyList<string> texts, int maxLength,
        bool padToMaxLength = false, Device? device = null)
    {
        var sequences = Ids(tokenizer, texts, maxLength);
        var length = padToMaxLength ? maxLength : sequences.Max(s => s.Length);
        var special = tokenizer.Special;
        var tokens = new long[texts.Count * length];
        var padding = new bool[texts.Count * length];
        for (var b = 0; b < sequences.Length; b++)
        {
            var row = tokens.AsSpan(b * length, length);
            row.Fill(special.Pad);
            sequences[b].CopyTo(row);
            padding.AsSpan(b * length + sequences[b].Length, length - sequences[b].Length).Fill(true);
        }
        var t = tensor(tokens, [texts.Count, length], dtype: ScalarType.Int64, device: device);   // [B, T]
        var p = tensor(padding, [texts.Count, length], dtype: ScalarType.Bool, device: device);   // [B, T]
        return (t, p);
    }

    /// <summary>The id sequences [CLS] … [SEP] of <paramref name="texts"/>, each at most <paramref name="maxLength"/> long, unpadded.</summary>
    public static long[][] Ids(ITokenizer tokenizer, IReadOnlyList<string> texts, int maxLength)
    {
        if (texts.Count == 0) throw new ArgumentException("texts: expected at least one text, got none");
        if (maxLength < 2) throw new ArgumentException($"maxLength: expected at least 2 ([CLS] and [SEP]), got {maxLength}");
        var special = tokenizer.Special;
        var result = new long[texts.Count][];
        for (var b = 0; b < texts.Count; b++)
        {
            var pieces = tokenizer.Encode(texts[b]);
            var kept = Math.Min(pieces.Count, maxLength - 2);
            var row = new long[kept + 2];
            row[0] = special.Cls;
            for (var i = 0; i < kept; i++) row[i + 1] = pieces[i];
            row[kept + 1] = special.Sep;
            result[b] = row;
        }
        return result;
    }
}
