using System.Diagnostics;
using SelfSup.Tests.Data;
using SelfSup.Text;
using Xunit.Abstractions;

namespace SelfSup.Tests.Text;

/// <summary>The tokenizer trained on a real corpus (Debian's fortunes, installed by scripts/setup-test-data.sh).</summary>
public class WordPieceOnFortunesTests(ITestOutputHelper output)
{
    [Fact]
    public void AVocabularyTrainedOnFortunes_SpellsUnseenFortunesInFewPieces_BetterThanLikelihoodMerges()
    {
        using var cache = new TempDir();
        var (train, test) = TextSplit.HoldOut(TextDatasets.Load("fortunes", cache.Path, localFolders: []), 0.2, seed: 0);
        var clock = Stopwatch.StartNew();
        var tok = WordPieceTokenizer.Train(train.Documents);
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.Equal(4000, tok.VocabSize);
        var (perWord, unknown) = Measure(tok, test.Documents);
        output.WriteLine($"frequency merges: trained in {seconds:F1} s; held-out: {perWord:F3} pieces per word, {100 * unknown:F3} % [UNK]");
        Assert.True(perWord < 1.4, $"{perWord} pieces per word");
        Assert.True(unknown < 0.001, $"{unknown} of the pieces are [UNK]");
        // Frequent words are whole pieces.
        Assert.Equal(["the", "computer", "is", "a", "program", "."], tok.Tokens("The computer is a program."));

        // The likelihood score spends the vocabulary on pieces of rare words (e.g. the digits of dates).
        var likelihood = WordPieceTokenizer.Train(train.Documents, new WordPieceTrainerOptions(Merge: WordPieceMerge.Likelihood));
        var (likelihoodPerWord, _) = Measure(likelihood, test.Documents);
        output.WriteLine($"likelihood merges: {likelihoodPerWord:F3} pieces per word");
        Assert.True(likelihoodPerWord > perWord * 1.5, $"likelihood {likelihoodPerWord} against frequency {perWord} pieces per word");
    }

    static (double PiecesPerWord, double Unknown) Measure(WordPieceTokenizer tok, IReadOnlyList<string> documents)
    {
        long words = 0, pieces = 0, unknown = 0;
        foreach (var doc in documents)
        {
            words += WordPieceTokenizer.Words(doc).Count;
            var ids = tok.Encode(doc);
            pieces += ids.Count;
            unknown += ids.Count(i => i == tok.Special.Unknown);
        }
        return ((double)pieces / words, (double)unknown / pieces);
    }
}
