using SelfSup.Tests.Data;
using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class WordPieceTokenizerTests
{
    static readonly string[] Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>BERT's own example: "unaffable" → un ##aff ##able.</summary>
    static WordPieceTokenizer Bert() => WordPieceTokenizer.FromVocabulary([.. Specials, "un", "##aff", "##able", "##a", "a", ",", "+"]);

    static readonly string[] Corpus =
    [
        "The cat sat on the mat.",
        "A cat and a dog sat together; the dog barked!",
        "Cats, dogs and mats: 2 + 2 = 4.",
        "The mat was flat and the cat was fat.",
    ];

    [Fact]
    public void SpecialTokens_HaveTheFixedLowIds()
    {
        var tok = Bert();
        Assert.Equal(new SpecialTokens(Pad: 0, Unknown: 1, Cls: 2, Sep: 3, Mask: 4), tok.Special);
        Assert.Equal(Specials, tok.Vocabulary.Take(5));
        Assert.Equal(12, tok.VocabSize);
    }

    [Fact]
    public void AWord_SplitsGreedilyIntoContinuationPieces()
    {
        var tok = Bert();
        Assert.Equal(["un", "##aff", "##able"], tok.Tokens("unaffable"));
        Assert.Equal([5, 6, 7], tok.Encode("UnAffable"));
    }

    [Fact]
    public void AWordTheVocabularyCannotSpell_IsOneUnknown()
    {
        var tok = Bert();
        // "unx": "un" matches but "##x" is no piece, so the whole word is one [UNK]; the words after it are kept.
        Assert.Equal([1, 9, 10], tok.Encode("unx a,"));
    }

    [Fact]
    public void SpecialTokensTypedInText_AreReadAsText()
    {
        var tok = Bert();
        Assert.DoesNotContain(4, tok.Encode("[MASK]"));
        Assert.Equal(["[", "mask", "]"], WordPieceTokenizer.Words("[MASK]"));
    }

    [Fact]
    public void Words_LowerCase_KeepAccents_AndSplitPunctuationSymbolsAndEveryWhitespace()
    {
        Assert.Equal(["hello", ",", "world", "!", "2", "+", "2", "=", "4", "café", "x", "_", "y", "tab", "here"],
            WordPieceTokenizer.Words("Hello,\nWORLD!\r\n2+2=4 café x_y tab\there"));
    }

    [Fact]
    public void DecodeOfEncode_GivesTheWordsJoinedBySpaces()
    {
        var tok = WordPieceTokenizer.Train(Corpus, new WordPieceTrainerOptions(VocabSize: 60, MinFrequency: 1));
        Assert.True(tok.VocabSize <= 60);
        foreach (var text in Corpus)
        {
            var ids = tok.Encode(text);
            Assert.DoesNotContain(tok.Special.Unknown, ids);
            Assert.Equal(string.Join(' ', WordPieceTokenizer.Words(text)), tok.Decode(ids));
        }
        Assert.Contains(tok.Vocabulary, p => p.StartsWith("##", StringComparison.Ordinal) && p.Length > 3);
    }

    [Fact]
    public void Decode_DropsSpecialTokens()
    {
        var tok = Bert();
        Assert.Equal("unaffable a", tok.Decode([2, 5, 6, 7, 8 + 1, 3, 0, 0, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([12]));
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameVocabularyAndEncodings()
    {
        using var dir = new TempDir();
        var tok = WordPieceTokenizer.Train(Corpus, new WordPieceTrainerOptions(VocabSize: 50, MinFrequency: 1));
        var path = dir.File("tok/vocab.txt");
        tok.Save(path);
        Assert.Equal(tok.Vocabulary, File.ReadAllLines(path));
        var loaded = WordPieceTokenizer.Load(path);
        Assert.Equal(tok.Vocabulary, loaded.Vocabulary);
        foreach (var text in Corpus.Append("an unseen sentence, with zebras"))
            Assert.Equal(tok.Encode(text), loaded.Encode(text));
    }

    [Fact]
    public void Load_OfAWrongSpecialToken_NamesTheFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[SEP]", "[CLS]", "[MASK]", "a"]);
        var e = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.Load(path));
        Assert.Contains($"{path} line 3: expected [CLS], found '[SEP]'", e.Message);
    }

    [Fact]
    public void Load_OfARepeatedPiece_NamesBothLines()
    {
        using var dir = new TempDir();
        var path = dir.File("vocab.txt");
        File.WriteAllLines(path, [.. Specials, "a", "##b", "a"]);
        var e = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.Load(path));
        Assert.Contains($"{path} line 8: piece 'a' repeats line 6", e.Message);
    }

    [Fact]
    public void Load_OfABlankLine_NamesTheLine()
    {
        using var dir = new TempDir();
        var path = dir.File("vocab.txt");
        File.WriteAllLines(path, [.. Specials, "a", "", "b"]);
        var e = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.Load(path));
        Assert.Contains($"{path} line 7", e.Message);
    }

    [Fact]
    public void Load_OfAMissingFile_NamesIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => WordPieceTokenizer.Load("/nonexistent/vocab.txt"));
        Assert.Contains("/nonexistent/vocab.txt", e.Message);
    }
}
