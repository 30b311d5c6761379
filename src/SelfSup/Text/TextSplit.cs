namespace SelfSup.Text;

/// <summary>
/// A seeded hold-out of a corpus's documents: the training documents for pretraining and the tokenizer, the held-out
/// ones for evaluation (masked-token accuracy and the category probe), so no evaluation reads a trained-on document.
/// </summary>
public static class TextSplit
{
    /// <summary>The default share of documents held out.</summary>
    public const double DefaultHeldOut = 0.1;

    /// <summary>
    /// Documents split by a seeded shuffle: ⌈<paramref name="fraction"/> · N⌉ held out (at least one, at most N − 1),
    /// the rest for training, each part in corpus order; the first <paramref name="limit"/> training documents (of the
    /// shuffle) when given.
    /// </summary>
    public static (TextCorpus Train, TextCorpus HeldOut) HoldOut(TextCorpus corpus, double fraction, int seed, int? limit = null)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentException($"held-out fraction must be in (0, 1), got {fraction}");
        if (corpus.Count < 2) throw new ArgumentException($"text corpus '{corpus.Name}' has {corpus.Count} documents; at least 2 are needed to hold some out");
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        new Random(seed).Shuffle(order);
        var held = Math.Clamp((int)Math.Ceiling(fraction * corpus.Count), 1, corpus.Count - 1);
        var train = order[held..];
        if (limit is { } n)
        {
            if (n <= 0) throw new ArgumentException($"data_limit must be positive, got {n}");
            train = train[..Math.Min(n, train.Length)];
        }
        return (Rows(corpus, train.Order().ToArray(), "train"), Rows(corpus, order[..held].Order().ToArray(), "held-out"));
    }

    static TextCorpus Rows(TextCorpus c, int[] rows, string part) =>
        new($"{c.Name} ({part})", rows.Select(r => c.Documents[r]).ToList(), c.Labels is null ? null : rows.Select(r => c.Labels[r]).ToList(), c.Classes);
}
