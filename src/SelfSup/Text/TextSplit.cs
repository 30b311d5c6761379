using SelfSup.Data;

namespace SelfSup.Text;

/// <summary>
/// A seeded hold-out of a corpus for evaluation (masked-token accuracy on unseen text, the downstream probe): with
/// labels, <see cref="TestHoldOut.TestRowsOf"/> documents of every category, as images are split; without, the same
/// share of all documents. Documents keep their order in both parts; the split depends only on the seed.
/// </summary>
public static class TextSplit
{
    /// <summary>The share of documents a text run holds out for its evaluation.</summary>
    public const double DefaultHeldOut = 0.1;

    public static (TextCorpus Train, TextCorpus Test) HoldOut(TextCorpus corpus, double fraction = 0.2, int seed = 0) =>
        HoldOut(corpus, new TestHoldOut(fraction, seed));

    public static (TextCorpus Train, TextCorpus Test) HoldOut(TextCorpus corpus, TestHoldOut holdOut)
    {
        var rng = new Random(holdOut.Seed);
        var test = new bool[corpus.Count];
        var groups = corpus.Labels is { } labels
            ? Enumerable.Range(0, corpus.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray())
            : [Enumerable.Range(0, corpus.Count).ToArray()];
        foreach (var rows in groups)
        {
            rng.Shuffle(rows);
            foreach (var r in rows.AsSpan(0, holdOut.TestRowsOf(rows.Length))) test[r] = true;
        }
        return (Subset(corpus, i => !test[i], "-train"), Subset(corpus, i => test[i], "-test"));
    }

    static TextCorpus Subset(TextCorpus corpus, Func<int, bool> keep, string suffix)
    {
        var rows = Enumerable.Range(0, corpus.Count).Where(keep).ToArray();
        return new TextCorpus(corpus.Name + suffix, rows.Select(i => corpus.Documents[i]).ToArray(),
            corpus.Labels is { } labels ? rows.Select(i => labels[i]).ToArray() : null, corpus.Classes);
    }

    /// <summary>At most <paramref name="limit"/> documents of <paramref name="corpus"/>, a seeded sample kept in corpus order (all of them when the limit is not below the count).</summary>
    public static TextCorpus Limit(TextCorpus corpus, int limit, int seed)
    {
        if (limit <= 0) throw new ArgumentException($"data_limit must be positive, got {limit}");
        if (limit >= corpus.Count) return corpus;
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        new Random(seed).Shuffle(order);
        var keep = new HashSet<int>(order[..limit]);
        return Subset(corpus, keep.Contains, "");
    }
}
