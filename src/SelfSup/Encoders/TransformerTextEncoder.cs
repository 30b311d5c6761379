using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>How a <see cref="TransformerTextEncoder"/> turns token states into the sequence embedding.</summary>
public enum TextPooling
{
    /// <summary>The final state of the first token, [CLS] (BERT, Devlin et al. 2019 §3).</summary>
    Cls,
    /// <summary>The mean of the final states of the tokens that are not [PAD].</summary>
    MaskedMean,
}

/// <summary>
/// Sizes of a <see cref="TransformerTextEncoder"/>. The defaults are CPU-sized; BERT-Base is 768 wide, 12 blocks of
/// 12 heads, 512 positions (Devlin et al. 2019 §3).
/// </summary>
public sealed record TextEncoderOptions
{
    /// <summary>Width of token states and of the embedding (BERT-Base: 768).</summary>
    public int Dim { get; init; } = 128;
    /// <summary>Number of transformer blocks (BERT-Base: 12).</summary>
    public int Depth { get; init; } = 4;
    /// <summary>Attention heads per block; must divide <see cref="Dim"/> (BERT-Base: 12).</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Longest sequence, [CLS] and [SEP] included: the number of learned positions (BERT: 512).</summary>
    public int MaxLength { get; init; } = 64;
    /// <summary>Hidden width of each block's MLP as a multiple of <see cref="Dim"/> (BERT: 4).</summary>
    public double MlpRatio { get; init; } = 4.0;
    /// <summary>How the sequence embedding is read from the token states (BERT: the [CLS] state).</summary>
    public TextPooling Pooling { get; init; } = TextPooling.Cls;

    /// <summary>Throws, naming the field, when a size cannot build an encoder.</summary>
    public void Validate()
    {
        if (Dim < 1) throw new ArgumentException($"text encoder: dim must be ≥ 1, got {Dim}");
        if (Depth < 1) throw new ArgumentException($"text encoder: depth must be ≥ 1, got {Depth}");
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"text encoder: dim {Dim} must be divisible by heads {Heads}");
        if (MaxLength < 2) throw new ArgumentException($"text encoder: max_length must be ≥ 2 ([CLS] and [SEP]), got {MaxLength}");
        if (!(MlpRatio > 0)) throw new ArgumentException($"text encoder: mlp_ratio must be > 0, got {MlpRatio}");
    }
}

/// <summary>
/// A small BERT-style text encoder built from the ViT's parts (Devlin et al. 2019; blocks of Dosovitskiy et al. 2021):
/// token embedding + learned absolute positions, pre-norm <see cref="TransformerBlock"/>s whose attention ignores
/// [PAD] keys, a final LayerNorm, and the [CLS] state (or the masked mean) as the sequence embedding. Because padded
/// keys get no attention weight and positions are absolute, appending [PAD]s changes neither the real tokens' states
/// nor the embedding. Linear weights, token and position embeddings are truncated normal with std 0.02 (BERT's
/// initializer_range), biases zero, LayerNorms γ = 1, β = 0. Unlike BERT's post-norm blocks, the blocks are pre-norm
/// (as the ViT's), so there is no LayerNorm right after the embeddings. State-dict keys: <c>token_embed</c>,
/// <c>pos_embed</c> [1, MaxLength, D], <c>blocks.{i}</c>, <c>norm</c>.
/// </summary>
public sealed class TransformerTextEncoder : TextEncoder
{
    readonly Embedding token_embed;
    readonly Parameter pos_embed;
    readonly ModuleList<TransformerBlock> blocks;
    readonly LayerNorm norm;
    readonly TextEncoderOptions options;

    /// <param name="vocabSize">Number of token ids (the tokenizer's, special tokens included).</param>
    /// <param name="options">Sizes and pooling.</param>
    public TransformerTextEncoder(int vocabSize, TextEncoderOptions options) : base(nameof(TransformerTextEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (vocabSize < 1) throw new ArgumentException($"text encoder: vocabulary size must be ≥ 1, got {vocabSize}");
        this.options = options;
        VocabSize = vocabSize;
        token_embed = nn.Embedding(vocabSize, options.Dim);
        pos_embed = new Parameter(zeros(1, options.MaxLength, options.Dim));
        blocks = new ModuleList<TransformerBlock>();
        for (var i = 0; i < options.Depth; i++) blocks.Add(new TransformerBlock(options.Dim, options.Heads, options.MlpRatio));
        norm = nn.LayerNorm(options.Dim, eps: TransformerBlock.LayerNormEps);
        RegisterComponents();
        TransformerInit.Apply(this);
        TransformerInit.TruncatedNormal(token_embed.weight!, 0.02);
        TransformerInit.TruncatedNormal(pos_embed, 0.02);
    }

    public TextEncoderOptions Options => options;
    public int VocabSize { get; }
    public override int EmbeddingDim => options.Dim;
    public override int MaxLength => options.MaxLength;

    /// <summary>The token embedding, [V, D] weight: the MLM head's output layer can share it (BERT ties them).</summary>
    public Embedding TokenEmbedding => token_embed;

    public override Tensor ForwardTokens(Tensor tokens, Tensor padding)
    {
        Validate(tokens, padding);
        using var scope = NewDisposeScope();
        var t = tokens.shape[1];
        var x = token_embed.call(tokens) + pos_embed.narrow(1, 0, t); // [B, T, D]
        foreach (var block in blocks) x = block.Forward(x, padding);
        return norm.call(x).MoveToOuterDisposeScope(); // [B, T, D]
    }

    public override Tensor Pool(Tensor states, Tensor padding)
    {
        if (options.Pooling == TextPooling.Cls) return states.select(1, 0); // [B, D]
        using var scope = NewDisposeScope();
        var keep = padding.logical_not().unsqueeze(-1).to(states.dtype); // [B, T, 1]
        var sum = (states * keep).sum(1);                                 // [B, D]
        return sum.div(keep.sum(1).clamp_min(1)).MoveToOuterDisposeScope(); // [B, D]
    }

    void Validate(Tensor tokens, Tensor padding)
    {
        if (tokens.dim() != 2 || tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"text encoder: tokens must be int64 [B, T], got {tokens.dtype} [{string.Join(", ", tokens.shape)}]");
        if (tokens.shape[1] > options.MaxLength)
            throw new ArgumentException($"text encoder: sequence length {tokens.shape[1]} exceeds max_length {options.MaxLength}");
        if (padding.dtype != ScalarType.Bool || !padding.shape.SequenceEqual(tokens.shape))
            throw new ArgumentException($"text encoder: padding must be bool [{string.Join(", ", tokens.shape)}], got {padding.dtype} [{string.Join(", ", padding.shape)}]");
    }
}
