using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Text;

/// <summary>Documents as the text encoder reads them: [CLS] ids… [SEP], cut to a maximum length, padded per batch.</summary>
public static class TextSequences
{
    /// <summary>[CLS], the first <paramref name="maxLength"/> − 2 ids of <paramref name="text"/>, [SEP].</summary>
    public static long[] Encode(ITokenizer tokenizer, string text, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentException($"max_length must be ≥ 2 ([CLS] and [SEP]), got {maxLength}");
        var ids = tokenizer.Encode(text);
        var n = Math.Min(ids.Count, maxLength - 2);
        var seq = new long[n + 2];
        seq[0] = tokenizer.Special.Cls;
        for (var i = 0; i < n; i++) seq[i + 1] = ids[i];
        seq[n + 1] = tokenizer.Special.Sep;
        return seq;
    }

    /// <summary>Every document of <paramref name="corpus"/> encoded with <see cref="Encode"/>.</summary>
    public static long[][] EncodeAll(ITokenizer tokenizer, TextCorpus corpus, int maxLength) =>
        corpus.Documents.Select(d => Encode(tokenizer, d, maxLength)).ToArray();

    /// <summary>
    /// Token ids [B, T] (int64) and padding mask [B, T] (bool, true at [PAD]) of <paramref name="rows"/> of
    /// <paramref name="sequences"/>, T the longest of them; on <paramref name="device"/> (null: CPU).
    /// </summary>
    public static (Tensor Tokens, Tensor Padding) Batch(IReadOnlyList<long[]> sequences, IReadOnlyList<long> rows, int pad, Device? device = null)
    {
        if (rows.Count == 0) throw new ArgumentException("a text batch needs at least one row");
        var t = rows.Max(r => sequences[(int)r].Length);
        var ids = new long[rows.Count * t];
        var mask = new bool[rows.Count * t];
        for (var b = 0; b < rows.Count; b++)
        {
            var seq = sequences[(int)rows[b]];
            for (var i = 0; i < t; i++)
            {
                var real = i < seq.Length;
                ids[b * t + i] = real ? seq[i] : pad;
                mask[b * t + i] = !real;
            }
        }
        return (tensor(ids, ScalarType.Int64, device).reshape(rows.Count, t), tensor(mask, device: device).reshape(rows.Count, t));
    }
}
