using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class WordPieceTrainerTests
{
    static readonly string[] Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    static IReadOnlyList<string> Train(string text, int vocabSize = 100, int minFrequency = 2, WordPieceMerge merge = WordPieceMerge.Likelihood) =>
        WordPieceTrainer.Train([text], new WordPieceTrainerOptions(vocabSize, minFrequency, merge));

    [Fact]
    public void Merges_ByLikelihoodScore_NotByFrequency()
    {
        // Words: ab ×4, a ×4, cd ×2. Pieces: a 8, ##b 4, c 2, ##d 2.
        // score(a, ##b) = 4 / (8·4) = 0.125, score(c, ##d) = 2 / (2·2) = 0.5: "cd" first although "ab" is twice as frequent.
        var vocab = Train("ab ab ab ab a a a a cd cd");
        Assert.Equal([.. Specials, "##b", "##d", "a", "c", "cd", "ab"], vocab);
    }

    [Fact]
    public void FrequencyMerges_TakeTheMostFrequentPairFirst()
    {
        // The same corpus: (a, ##b) occurs 4 times, (c, ##d) twice.
        var vocab = Train("ab ab ab ab a a a a cd cd", merge: WordPieceMerge.Frequency);
        Assert.Equal([.. Specials, "##b", "##d", "a", "c", "ab", "cd"], vocab);
    }

    [Fact]
    public void MinFrequency_KeepsRarePairsUnmerged()
    {
        // cd occurs twice: below 3, so only ab (4 times) is merged.
        var vocab = Train("ab ab ab ab a a a a cd cd", minFrequency: 3);
        Assert.Equal([.. Specials, "##b", "##d", "a", "c", "ab"], vocab);
    }

    [Fact]
    public void VocabSize_StopsTheMerges()
    {
        var vocab = Train("ab ab ab ab a a a a cd cd", vocabSize: 10);
        Assert.Equal([.. Specials, "##b", "##d", "a", "c", "cd"], vocab);
    }

    [Fact]
    public void EqualScores_GoToTheMoreFrequentPair_ThenToTheOrdinallySmallerPiece()
    {
        // xab ×2, yab ×2: pieces x 2, y 2, ##a 4, ##b 4. All three pairs score 0.25; (##a, ##b) occurs 4 times and wins.
        // Then (x, ##ab) and (y, ##ab) both score 2 / (2·2) = 0.5 with count 2: "xab" before "yab".
        var vocab = Train("xab xab yab yab", minFrequency: 1);
        Assert.Equal([.. Specials, "##a", "##b", "x", "y", "##ab", "xab", "yab"], vocab);
    }

    [Fact]
    public void AfterAMerge_ThePartsCountsDrop()
    {
        // ab ×3, ac ×1: a 4, ##b 3, ##c 1; (a, ##b) and (a, ##c) both score 0.25, ab wins by count.
        // Then a is left once: score(a, ##c) = 1 / (1·1) = 1, so ac is merged too.
        var vocab = Train("ab ab ab ac", minFrequency: 1);
        Assert.Equal([.. Specials, "##b", "##c", "a", "ab", "ac"], vocab);
    }

    [Fact]
    public void Alphabet_ComesFromTheNormalisedWords()
    {
        // Upper case folds to lower case (accents kept), punctuation is its own word.
        var vocab = Train("Éa, A", minFrequency: 5);
        Assert.Equal([.. Specials, "##a", ",", "a", "é"], vocab);
    }

    [Theory]
    [InlineData(5, 2, "VocabSize")]
    [InlineData(100, 0, "MinFrequency")]
    public void InvalidOptions_NameTheField(int vocabSize, int minFrequency, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => Train("a b", vocabSize, minFrequency));
        Assert.StartsWith(field, e.Message);
    }
}
