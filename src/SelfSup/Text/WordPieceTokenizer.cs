using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SelfSup.Text;

/// <summary>
/// BERT's WordPiece tokenizer (Devlin et al. 2019, "BERT"; Wu et al. 2016, "Google's Neural Machine Translation
/// System") over a vocabulary trained on the corpus by <see cref="WordPieceTrainer"/>.
/// <para>
/// Text is read in three steps. (1) Every whitespace character (newline, tab…) becomes a space — ours: the library's
/// normaliser would delete newlines and tabs as control characters and glue the words on either side together.
/// (2) Microsoft.ML.Tokenizers' BERT normaliser lower-cases and puts spaces around CJK characters. Accents are kept
/// (é is its own letter): stripping them needs Unicode decomposition, which .NET's invariant globalization mode (this
/// project's setting) does not do, so keeping them reads text the same in every host.
/// (3) Words are runs of letters, digits and marks; every other visible character (punctuation and symbols such as
/// <c>+ = $ _</c>) is a word of its own, as in BERT's basic tokenizer — ours, given to the library as its
/// pre-tokenizer, because the library's default drops symbols. Each word is then split greedily, longest match first,
/// into vocabulary pieces (continuations spelled <c>##piece</c>) by Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>;
/// a word it cannot spell, or one longer than 100 characters, is one [UNK].
/// </para>
/// <para>
/// The vocabulary file is BERT's <c>vocab.txt</c>: one piece per line, the line number (from 0) its id, the special
/// tokens first: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4. Special tokens typed in text are read as text
/// (<c>[mask]</c> is three words), so a document cannot inject them. <see cref="Decode"/> is ours: pieces joined by
/// spaces, <c>##</c> continuations glued to the piece before.
/// </para>
/// </summary>
public sealed partial class WordPieceTokenizer : ITokenizer
{
    /// <summary>The special tokens' spellings, in id order.</summary>
    public static readonly IReadOnlyList<string> SpecialTokenNames = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>The prefix of a piece that continues a word.</summary>
    public const string ContinuationPrefix = "##";

    /// <summary>Longest word encoded piece by piece; a longer one is one [UNK] (the library's and BERT's limit).</summary>
    public const int MaxWordChars = 100;

    static readonly SpecialTokens Ids = new(Pad: 0, Unknown: 1, Cls: 2, Sep: 3, Mask: 4);

    readonly string[] _vocabulary;
    readonly BertTokenizer _bert;

    WordPieceTokenizer(string[] vocabulary, BertTokenizer bert)
    {
        _vocabulary = vocabulary;
        _bert = bert;
    }

    /// <inheritdoc/>
    public int VocabSize => _vocabulary.Length;

    /// <inheritdoc/>
    public SpecialTokens Special => Ids;

    /// <summary>The pieces, indexed by id.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>
    /// A tokenizer over <paramref name="vocabulary"/> (special tokens first, in <see cref="SpecialTokenNames"/>'s order,
    /// every piece unique and free of whitespace); <paramref name="source"/> names it in errors (a file, "trainer").
    /// </summary>
    public static WordPieceTokenizer FromVocabulary(IReadOnlyList<string> vocabulary, string source = "vocabulary")
    {
        Validate(vocabulary, source);
        var text = string.Join('\n', vocabulary) + "\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var bert = BertTokenizer.Create(stream, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            RemoveNonSpacingMarks = false,
            IndividuallyTokenizeCjk = true,
            SplitOnSpecialTokens = false,
            PreTokenizer = new RegexPreTokenizer(WordPattern(), null),
            UnknownToken = SpecialTokenNames[Ids.Unknown],
            PaddingToken = SpecialTokenNames[Ids.Pad],
            ClassificationToken = SpecialTokenNames[Ids.Cls],
            SeparatorToken = SpecialTokenNames[Ids.Sep],
            MaskingToken = SpecialTokenNames[Ids.Mask],
            ContinuingSubwordPrefix = ContinuationPrefix,
            MaxInputCharsPerWord = MaxWordChars,
        });
        return new WordPieceTokenizer([.. vocabulary], bert);
    }

    /// <summary>Trains a vocabulary on <paramref name="texts"/> (<see cref="WordPieceTrainer"/>) and returns its tokenizer.</summary>
    public static WordPieceTokenizer Train(IEnumerable<string> texts, WordPieceTrainerOptions? options = null) =>
        FromVocabulary(WordPieceTrainer.Train(texts, options ?? new WordPieceTrainerOptions()), "trainer");

    /// <summary>Reads a <c>vocab.txt</c>; an error names the file and the offending line.</summary>
    public static WordPieceTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: vocabulary file not found", path);
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return FromVocabulary(lines[..count], path);
    }

    /// <summary>Writes the vocabulary as <c>vocab.txt</c> (one piece per line, UTF-8) to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, string.Join('\n', _vocabulary) + "\n", new UTF8Encoding(false));
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text) =>
        _bert.EncodeToIds(SpacesForWhitespace(text), addSpecialTokens: false);

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _vocabulary.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary [0, {_vocabulary.Length})");
            if (id <= Ids.Mask) continue;
            var piece = _vocabulary[id];
            if (piece.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && piece.Length > ContinuationPrefix.Length)
                sb.Append(piece, ContinuationPrefix.Length, piece.Length - ContinuationPrefix.Length);
            else
            {
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(piece);
            }
        }
        return sb.ToString();
    }

    /// <summary>The pieces of <paramref name="text"/> as strings (<c>##</c> continuations included), for inspection.</summary>
    public IReadOnlyList<string> Tokens(string text) => Encode(text).Select(i => _vocabulary[i]).ToArray();

    /// <summary>
    /// The words of <paramref name="text"/> after normalisation and pre-tokenisation, exactly as encoding sees them:
    /// the units the trainer counts and splits.
    /// </summary>
    public static IReadOnlyList<string> Words(string text) => PreTokenizerOnly.Words(text);

    static string SpacesForWhitespace(string text) => WhitespaceRun().Replace(text, " ");

    [GeneratedRegex(@"[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}\p{C}]")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    static void Validate(IReadOnlyList<string> vocabulary, string source)
    {
        if (vocabulary.Count <= SpecialTokenNames.Count)
            throw new InvalidDataException($"{source}: {vocabulary.Count} lines; expected the {SpecialTokenNames.Count} special tokens ({string.Join(", ", SpecialTokenNames)}) and at least one piece");
        for (var i = 0; i < SpecialTokenNames.Count; i++)
            if (vocabulary[i] != SpecialTokenNames[i])
                throw new InvalidDataException($"{source} line {i + 1}: expected {SpecialTokenNames[i]}, found '{vocabulary[i]}'");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Count; i++)
        {
            var piece = vocabulary[i];
            if (piece.Length == 0 || piece == ContinuationPrefix || piece.Any(char.IsWhiteSpace))
                throw new InvalidDataException($"{source} line {i + 1}: expected one piece without whitespace, found '{piece}'");
            if (!seen.TryAdd(piece, i))
                throw new InvalidDataException($"{source} line {i + 1}: piece '{piece}' repeats line {seen[piece] + 1}");
        }
    }

    /// <summary>The library's normaliser and our pre-tokenizer without a trained vocabulary, for counting words.</summary>
    static class PreTokenizerOnly
    {
        static readonly BertTokenizer Bare = FromVocabulary([.. SpecialTokenNames, "a"], "pre-tokenizer")._bert;

        public static IReadOnlyList<string> Words(string text)
        {
            var normalized = Bare.Normalizer!.Normalize(SpacesForWhitespace(text));
            return Bare.PreTokenizer!.PreTokenize(normalized).Select(r => { var (offset, length) = r; return normalized.Substring(offset, length); }).ToArray();
        }
    }
}
