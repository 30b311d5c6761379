using System.Runtime.CompilerServices;
using SelfSup.Encoders;
using SelfSup.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.TestSupport;

/// <summary>
/// A whitespace word tokenizer for CLIP's tests: lower-cased words split on spaces, ids after the five special tokens
/// in order of first appearance, capped at a vocabulary size (later words read as [UNK]).
/// </summary>
public sealed class ClipTestTokenizer : ITokenizer
{
    readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);
    readonly List<string> words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public ClipTestTokenizer(IEnumerable<string> texts, int maxVocab = int.MaxValue)
    {
        foreach (var w in texts.SelectMany(Words))
            if (!ids.ContainsKey(w) && words.Count < maxVocab)
            {
                ids[w] = words.Count;
                words.Add(w);
            }
    }

    public int VocabSize => words.Count;
    public SpecialTokens Special { get; } = new(0, 1, 2, 3, 4);
    public IReadOnlyList<int> Encode(string text) => Words(text).Select(w => ids.GetValueOrDefault(w, Special.Unknown)).ToList();
    public string Decode(IEnumerable<int> tokens) => string.Join(' ', tokens.Where(t => t >= 5).Select(t => words[t]));
    public void Save(string path) => File.WriteAllLines(path, words);

    static IEnumerable<string> Words(string text) => text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A text encoder for CLIP's tests: a token embedding whose states are averaged over the non-pad tokens.</summary>
public sealed class ClipTestTextEncoder : TextEncoder
{
    readonly Embedding embedding;

    public ClipTestTextEncoder(int vocabSize, int width, int maxLength = 32) : base(nameof(ClipTestTextEncoder))
    {
        embedding = nn.Embedding(vocabSize, width);
        EmbeddingDim = width;
        MaxLength = maxLength;
        RegisterComponents();
    }

    public override int EmbeddingDim { get; }
    public override int MaxLength { get; }

    public override Tensor ForwardTokens(Tensor tokens, Tensor padding) => embedding.forward(tokens); // [B, T, D]

    public override Tensor Pool(Tensor states, Tensor padding)
    {
        var keep = padding.logical_not().unsqueeze(-1).to(states.dtype);          // [B, T, 1]
        return (states * keep).sum(1) / keep.sum(1).clamp_min(1);                 // [B, D]
    }
}

/// <summary>Plugs the test tokenizer and text encoder into <see cref="TextModels"/> where nothing else is plugged in, before any test runs.</summary>
static class ClipTestTextSetup
{
    [ModuleInitializer]
    internal static void PlugIn()
    {
        TextModels.TrainTokenizer ??= (texts, vocab) => new ClipTestTokenizer(texts, vocab);
        TextModels.CreateEncoder ??= spec => new ClipTestTextEncoder(spec.VocabSize, spec.Width, spec.MaxLength);
    }
}
