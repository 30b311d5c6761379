using static TorchSharp.torch;

namespace SelfSup.Text;

/// <summary>
/// Texts as one batch of token ids for a <see cref="Encoders.TextEncoder"/>: each row is [CLS] ids… [SEP], cut to
/// the longest length allowed (the last kept position then holds [SEP]), then [PAD] up to the batch's longest row.
/// </summary>
public static class TokenBatch
{
    /// <summary>Token ids [B, T] (int64) and the padding mask [B, T] (bool, true at [PAD]), T ≤ <paramref name="maxLength"/>.</summary>
    public static (Tensor Tokens, Tensor Padding) Encode(ITokenizer tokenizer, IReadOnlyList<string> texts, int maxLength, Device? device = null)
    {
        if (maxLength < 3) throw new ArgumentException($"token batch: max length must be ≥ 3 ([CLS], one token, [SEP]), got {maxLength}");
        if (texts.Count == 0) throw new ArgumentException("token batch: no texts");
        var special = tokenizer.Special;
        var rows = texts.Select(t =>
        {
            var ids = tokenizer.Encode(t);
            var kept = Math.Min(ids.Count, maxLength - 2);
            var row = new long[kept + 2];
            row[0] = special.Cls;
            for (int i = 0; i < kept; i++) row[i + 1] = ids[i];
            row[^1] = special.Sep;
            return row;
        }).ToArray();
        var length = rows.Max(r => r.Length);
        var tokens = new long[rows.Length * length];
        var padding = new bool[rows.Length * length];
        for (int b = 0; b < rows.Length; b++)
            for (int t = 0; t < length; t++)
            {
                var pad = t >= rows[b].Length;
                tokens[b * length + t] = pad ? special.Pad : rows[b][t];
                padding[b * length + t] = pad;
            }
        return (tensor(tokens, [rows.Length, length], ScalarType.Int64, device), tensor(padding, [rows.Length, length], device: device));
    }
}
