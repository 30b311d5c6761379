using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// The contract of a text backbone, the counterpart of <see cref="Encoder"/> for token sequences: token ids
/// [B, T] (int64, [CLS] first, [PAD] after the end) and a padding mask [B, T] (bool, true at [PAD]) give token
/// states [B, T, D]; <see cref="Pool"/> turns them into the sequence embedding [B, D] of size <see cref="EmbeddingDim"/>.
/// </summary>
public abstract class TextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    protected TextEncoder(string name) : base(name) { }

    /// <summary>Size of the token states and of the pooled embedding.</summary>
    public abstract int EmbeddingDim { get; }

    /// <summary>Largest sequence length the positions cover.</summary>
    public abstract int MaxLength { get; }

    /// <summary>Token states [B, T, D] of <paramref name="tokens"/> [B, T] with <paramref name="padding"/> [B, T] (true at [PAD]).</summary>
    public abstract Tensor ForwardTokens(Tensor tokens, Tensor padding);

    /// <summary>Sequence embedding [B, D] from the token states (and the padding mask, for mean pooling).</summary>
    public abstract Tensor Pool(Tensor states, Tensor padding);

    public override Tensor forward(Tensor tokens, Tensor padding) => Pool(ForwardTokens(tokens, padding), padding);
}
