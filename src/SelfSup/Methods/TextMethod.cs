using SelfSup.Encoders;
using SelfSup.Text;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// A self-supervised method on text: its backbone is a <see cref="Encoders.TextEncoder"/> and its batches hold no image
/// views but token ids [B, T] (int64) in <c>Extras["tokens"]</c> and the padding mask [B, T] (bool, true at [PAD]) in
/// <c>Extras["padding"]</c>. It keeps the tokenizer it was built for, which checkpoints save with the weights. The
/// Trainer runs it like any method; its <see cref="SslMethod.Encoder"/> and <see cref="SslMethod.Representation"/>
/// are not defined (there is no image encoder), downstream use takes <see cref="TextRepresentation"/>.
/// </summary>
public abstract class TextMethod : SslMethod, IReadsText
{
    /// <summary>The key of the token ids in <see cref="TrainingBatch.Extras"/>.</summary>
    public const string TokensKey = "tokens";

    /// <summary>The key of the padding mask in <see cref="TrainingBatch.Extras"/>.</summary>
    public const string PaddingKey = "padding";

    protected TextMethod(string name, ITokenizer tokenizer) : base(name)
    {
        Tokenizer = tokenizer;
    }

    /// <summary>The tokenizer the method's vocabulary comes from.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The text backbone being pretrained.</summary>
    public abstract TextEncoder TextEncoder { get; }

    /// <summary>What downstream use sees (probes, embeddings, the random-init twin): the text encoder by default.</summary>
    public virtual TextEncoder TextRepresentation => TextEncoder;

    /// <summary>The token ids and padding mask of a text batch, with a clear error when they are missing.</summary>
    protected (Tensor Tokens, Tensor Padding) TokensOf(TrainingBatch batch)
    {
        if (!batch.Extras.TryGetValue(TokensKey, out var tokens) || !batch.Extras.TryGetValue(PaddingKey, out var padding))
            throw new ArgumentException($"{GetName()} is a text method: its batch must hold Extras[\"{TokensKey}\"] and Extras[\"{PaddingKey}\"], got [{string.Join(", ", batch.Extras.Keys)}]");
        return (tokens, padding);
    }
}

/// <summary>What a text method needs to build itself for one run.</summary>
/// <param name="Tokenizer">The run's tokenizer (vocabulary size and special ids).</param>
/// <param name="Overrides">Method options as key → value (from `--set` or the run file).</param>
public sealed record TextMethodContext(ITokenizer Tokenizer, IReadOnlyDictionary<string, string> Overrides);
