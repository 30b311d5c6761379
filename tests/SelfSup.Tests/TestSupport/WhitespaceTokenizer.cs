using SelfSup.Text;

namespace SelfSup.Tests.TestSupport;

/// <summary>
/// A test tokenizer: lower-cased whitespace-separated words, ids 0–4 the special tokens ([PAD], [UNK], [CLS], [SEP],
/// [MASK]) and one id per word of the corpus it was built from, in order of first appearance. Saved as one token per line.
/// </summary>
public sealed class WhitespaceTokenizer : ITokenizer
{
    static readonly string[] SpecialNames = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    readonly List<string> vocab;
    readonly Dictionary<string, int> ids;

    WhitespaceTokenizer(List<string> vocab)
    {
        this.vocab = vocab;
        ids = vocab.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
    }

    /// <summary>A vocabulary of the specials and every word of <paramref name="documents"/>.</summary>
    public static WhitespaceTokenizer Train(IEnumerable<string> documents)
    {
        var words = new List<string>(SpecialNames);
        var seen = new HashSet<string>(SpecialNames);
        foreach (var w in documents.SelectMany(Words)) if (seen.Add(w)) words.Add(w);
        return new WhitespaceTokenizer(words);
    }

    public static WhitespaceTokenizer Train(TextCorpus corpus) => Train(corpus.Documents);

    public static WhitespaceTokenizer Load(string path) => new([.. File.ReadAllLines(path)]);

    public int VocabSize => vocab.Count;
    public SpecialTokens Special { get; } = new(Pad: 0, Unknown: 1, Cls: 2, Sep: 3, Mask: 4);

    public IReadOnlyList<int> Encode(string text) => Words(text).Select(w => ids.TryGetValue(w, out var id) ? id : Special.Unknown).ToList();

    public string Decode(IEnumerable<int> tokens) => string.Join(' ', tokens.Where(t => t >= SpecialNames.Length).Select(t => vocab[t]));

    public void Save(string path) => File.WriteAllLines(path, vocab);

    static IEnumerable<string> Words(string text) => text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
