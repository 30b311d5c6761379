using SelfSup.Text;
using static TorchSharp.torch;

namespace SelfSup.Tests.Text;

public class TokenBatchTests
{
    // ids: a 5, b 6, c 7
    static readonly WordPieceTokenizer Tok = WordPieceTokenizer.FromVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"]);

    [Fact]
    public void Encode_WrapsInClsAndSep_AndPadsToTheLongestText()
    {
        var (tokens, padding) = TokenBatch.Encode(Tok, ["a b c", "a", "z"], maxLength: 16);
        using (tokens)
        using (padding)
        {
            Assert.Equal([3L, 5L], tokens.shape);
            Assert.Equal(ScalarType.Int64, tokens.dtype);
            Assert.Equal(ScalarType.Bool, padding.dtype);
            Assert.Equal([2L, 5, 6, 7, 3, 2, 5, 3, 0, 0, 2, 1, 3, 0, 0], tokens.data<long>().ToArray());
            Assert.Equal([false, false, false, false, false, false, false, false, true, true, false, false, false, true, true],
                padding.data<bool>().ToArray());
        }
    }

    [Fact]
    public void Encode_TruncatesPieces_KeepingSepLast()
    {
        var (tokens, padding) = TokenBatch.Encode(Tok, ["a b c a b"], maxLength: 4);
        using (tokens)
        using (padding)
        {
            Assert.Equal([2L, 5, 6, 3], tokens.data<long>().ToArray());
            Assert.False(padding.any().item<bool>());
        }
    }

    [Fact]
    public void PadToMaxLength_GivesTheFullWidth()
    {
        var (tokens, padding) = TokenBatch.Encode(Tok, ["a"], maxLength: 6, padToMaxLength: true);
        using (tokens)
        using (padding)
        {
            Assert.Equal([1L, 6L], tokens.shape);
            Assert.Equal([2L, 5, 3, 0, 0, 0], tokens.data<long>().ToArray());
            Assert.Equal(3, padding.sum().item<long>());
        }
    }

    [Fact]
    public void TooShortAMaxLength_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenBatch.Encode(Tok, ["a"], maxLength: 1));
        Assert.StartsWith("maxLength", e.Message);
    }
}
