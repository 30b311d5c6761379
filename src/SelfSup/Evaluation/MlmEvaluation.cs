using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>Masked-token accuracy of an MLM model on some documents, beside the unigram baseline on the same masks.</summary>
/// <param name="MaskedTokens">Positions chosen for prediction over all documents.</param>
/// <param name="Accuracy">Percent of chosen positions whose original token is the model's top prediction.</param>
/// <param name="UnigramAccuracy">Percent of chosen positions whose original token is <paramref name="UnigramToken"/>.</param>
/// <param name="UnigramToken">The most frequent non-special token of the training documents, predicted everywhere by the baseline.</param>
public sealed record MaskedTokenAccuracy(long MaskedTokens, double Accuracy, double UnigramAccuracy, long UnigramToken);

/// <summary>
/// The text counterparts of the image evaluation. <see cref="MaskedAccuracy"/>: BERT's corruption (Devlin et al.
/// 2019 §3.1) drawn from a fixed generator on held-out documents, the model's top-1 at the chosen positions against
/// the unigram-frequency baseline — always the single most frequent training token (one constant for every
/// position, not a per-position best). <see cref="Embed"/>: pooled embeddings for the linear probe of document
/// categories, which compares the trained encoder with its random-init twin (<see cref="LinearProbe"/>).
/// </summary>
public static class MlmEvaluation
{
    /// <summary>The most frequent non-special id in <paramref name="sequences"/> (ties: the smallest id).</summary>
    public static long MostFrequentToken(IEnumerable<long[]> sequences, SpecialTokens special)
    {
        var specials = TokenMasking.SpecialIds(special);
        var counts = sequences.SelectMany(s => s).Where(t => !specials.Contains(t)).GroupBy(t => t).Select(g => (Id: g.Key, Count: g.LongCount()));
        return counts.OrderByDescending(c => c.Count).ThenBy(c => c.Id).Select(c => c.Id).DefaultIfEmpty(-1).First();
    }

    /// <summary>
    /// Masks <paramref name="sequences"/> batch by batch with a generator seeded by <paramref name="seed"/> and scores the
    /// model's top-1 and the constant <paramref name="unigramToken"/> on the same chosen positions.
    /// </summary>
    public static MaskedTokenAccuracy MaskedAccuracy(Mlm method, IReadOnlyList<long[]> sequences, long unigramToken, int seed,
        int batchSize = 64, Device? device = null)
    {
        if (sequences.Count == 0) throw new ArgumentException("masked-token accuracy needs at least one document");
        device ??= CPU;
        var tokenizer = method.Tokenizer;
        using var generator = new Generator((ulong)seed, CPU);
        long chosen = 0, right = 0, unigram = 0;
        using var eval = new Training.TrainingModeSnapshot(method);
        method.eval();
        using var noGrad = no_grad();
        for (var start = 0; start < sequences.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = Enumerable.Range(start, Math.Min(batchSize, sequences.Count - start)).Select(i => (long)i).ToArray();
            var (tokens, padding) = TextSequences.Batch(sequences, rows, tokenizer.Special.Pad);
            var masked = TokenMasking.Apply(tokens, padding, tokenizer.Special, tokenizer.VocabSize, method.Options.Masking, generator);
            var labels = masked.Labels.reshape(-1);                               // [B·T]
            var at = labels.ne(TokenMasking.Ignore);                              // [B·T]
            var logits = method.PredictTokens(masked.Inputs.to(device), padding.to(device)).cpu(); // [B, T, V]
            var predicted = logits.argmax(-1).reshape(-1);                        // [B·T]
            chosen += at.sum().item<long>();
            right += predicted.eq(labels).logical_and(at).sum().item<long>();
            unigram += labels.eq(unigramToken).logical_and(at).sum().item<long>();
        }
        double Percent(long n) => chosen == 0 ? 0 : 100.0 * n / chosen;
        return new MaskedTokenAccuracy(chosen, Percent(right), Percent(unigram), unigramToken);
    }

    /// <summary>Pooled embeddings [N, D] of <paramref name="sequences"/> (eval mode, no gradient), on the CPU.</summary>
    public static Tensor Embed(TextEncoder encoder, IReadOnlyList<long[]> sequences, int pad, int batchSize = 64, Device? device = null)
    {
        device ??= CPU;
        using var eval = new Training.TrainingModeSnapshot(encoder);
        encoder.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        using var meter = WorkProgress.Start("features", sequences.Count, "documents");
        for (var start = 0; start < sequences.Count; start += batchSize)
        {
            var rows = Enumerable.Range(start, Math.Min(batchSize, sequences.Count - start)).Select(i => (long)i).ToArray();
            var (tokens, padding) = TextSequences.Batch(sequences, rows, pad, device);
            using (tokens)
            using (padding)
                parts.Add(encoder.call(tokens, padding).cpu()); // [b, D]
            meter.Advance(rows.Length);
        }
        var all = cat(parts, 0); // [N, D]
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
