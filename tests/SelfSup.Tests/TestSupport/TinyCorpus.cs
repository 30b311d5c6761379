using SelfSup.Text;

namespace SelfSup.Tests.TestSupport;

/// <summary>A hand-made labelled corpus: each category writes sentences from its own words plus shared ones, seeded.</summary>
public static class TinyCorpus
{
    static readonly string[][] Words =
    [
        ["cat", "dog", "horse", "bird", "fish", "cow", "sheep", "mouse"],
        ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"],
        ["one", "two", "three", "four", "five", "six", "seven", "eight"],
    ];

    static readonly string[] Shared = ["the", "a", "is", "and", "of", "very"];

    public static TextCorpus Create(int documentsPerClass = 30, int seed = 0)
    {
        var rng = new Random(seed);
        var docs = new List<string>();
        var labels = new List<int>();
        for (var d = 0; d < documentsPerClass; d++)
            for (var c = 0; c < Words.Length; c++)
            {
                var n = rng.Next(4, 12);
                docs.Add(string.Join(' ', Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.6 ? Words[c][rng.Next(8)] : Shared[rng.Next(Shared.Length)])));
                labels.Add(c);
            }
        return new TextCorpus("tiny", docs, labels, ["animals", "colours", "numbers"]);
    }

    /// <summary>A pipeline that opens <see cref="Create"/>'s corpus under any name, with the whitespace tokenizer.</summary>
    public static TextPipeline Pipeline(int documentsPerClass = 30) =>
        new(_ => Create(documentsPerClass), WhitespaceTokenizer.Train, WhitespaceTokenizer.Load);
}
