using SelfSup.Encoders;

namespace SelfSup.Text;

/// <summary>What a method asks of a text backbone: the vocabulary it reads, the longest sequence, and its size.</summary>
/// <param name="VocabSize">Token ids the embedding covers (the tokenizer's vocabulary may be smaller, never larger).</param>
/// <param name="MaxLength">Longest sequence, [CLS] and [SEP] included.</param>
/// <param name="Width">Width of the token states and of the pooled embedding.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads per block.</param>
public sealed record TextEncoderSpec(int VocabSize, int MaxLength, int Width, int Layers, int Heads);

/// <summary>
/// Where methods that read text (CLIP) get their tokenizer and text backbone: a tokenizer trained on the method's
/// captions, and a <see cref="TextEncoder"/> built to a <see cref="TextEncoderSpec"/>. Both are settable so the
/// library's word-piece tokenizer and Transformer text encoder are plugged in at one place, and tests can plug in
/// small ones. They default to the library's word piece (<see cref="WordPieceTokenizer.Train"/>) and
/// <see cref="TransformerTextEncoder"/>; a
/// member still null when a method needs it fails with a message naming the property.
/// </summary>
public static class TextModels
{
    /// <summary>Trains a tokenizer on the given texts with at most the given vocabulary size (special tokens included); deterministic for the same texts.</summary>
    public static Func<IEnumerable<string>, int, ITokenizer>? TrainTokenizer { get; set; } =
        (texts, vocabulary) => WordPieceTokenizer.Train(texts, new WordPieceTrainerOptions(VocabSize: vocabulary));

    /// <summary>Builds a freshly initialised text backbone (from the global torch seed) to a spec.</summary>
    public static Func<TextEncoderSpec, TextEncoder>? CreateEncoder { get; set; } =
        spec => new TransformerTextEncoder(spec.VocabSize, new TextEncoderOptions { Dim = spec.Width, Depth = spec.Layers, Heads = spec.Heads, MaxLength = spec.MaxLength });

    internal static Func<IEnumerable<string>, int, ITokenizer> Tokenizers(string method) => TrainTokenizer
        ?? throw new InvalidOperationException($"{method}: no tokenizer trainer is plugged in (set SelfSup.Text.TextModels.TrainTokenizer)");

    internal static Func<TextEncoderSpec, TextEncoder> Encoders(string method) => CreateEncoder
        ?? throw new InvalidOperationException($"{method}: no text encoder is plugged in (set SelfSup.Text.TextModels.CreateEncoder)");
}
