namespace SelfSup.Text;

/// <summary>The ids of the special tokens every SelfSup tokenizer reserves (BERT's names).</summary>
/// <param name="Pad">[PAD]: fills sequences to a common length; masked out of attention and losses.</param>
/// <param name="Unknown">[UNK]: a piece the vocabulary cannot spell.</param>
/// <param name="Cls">[CLS]: first token of every sequence; its final state is the sequence's embedding.</param>
/// <param name="Sep">[SEP]: closes every sequence.</param>
/// <param name="Mask">[MASK]: stands for a hidden token in masked language modelling.</param>
public sealed record SpecialTokens(int Pad, int Unknown, int Cls, int Sep, int Mask);

/// <summary>
/// Text to token ids and back, with a vocabulary learned from a corpus and saved with the model, so a checkpoint
/// reads text exactly as it was trained to.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids, special tokens included.</summary>
    int VocabSize { get; }

    /// <summary>The special tokens' ids.</summary>
    SpecialTokens Special { get; }

    /// <summary>The ids of <paramref name="text"/> without special tokens.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Text of <paramref name="ids"/>, special tokens dropped.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>Writes the vocabulary (and whatever else encoding needs) to <paramref name="path"/>.</summary>
    void Save(string path);
}
