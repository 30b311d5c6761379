using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// An encoder followed by a Linear map of its pooled embedding to a code: an autoencoder's bottleneck, or a VAE's
/// posterior mean μ. <see cref="ForwardFeatures"/> is the inner encoder's; <see cref="Pool"/> pools as the inner
/// encoder does and applies the Linear, so whatever sees this encoder (evaluation, embedding, fine-tuning) sees the code.
/// </summary>
public sealed class CodeEncoder : Encoder
{
    readonly Encoder backbone;
    readonly Linear code;

    /// <param name="backbone">The encoder whose embedding is mapped.</param>
    /// <param name="codeDim">Size of the code.</param>
    public CodeEncoder(Encoder backbone, int codeDim) : base(nameof(CodeEncoder))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (codeDim < 1) throw new ArgumentException($"CodeEncoder.code_dim: expected ≥ 1, got {codeDim}");
        this.backbone = backbone;
        code = nn.Linear(backbone.EmbeddingDim, codeDim);
        RegisterComponents();
    }

    /// <summary>The encoder before the Linear map.</summary>
    public Encoder Backbone => backbone;

    public override int EmbeddingDim => (int)code.out_features;

    public override Tensor ForwardFeatures(Tensor x) => backbone.ForwardFeatures(x);

    public override Tensor Pool(Tensor features)
    {
        using var scope = NewDisposeScope();
        return Code(backbone.Pool(features)).MoveToOuterDisposeScope();
    }

    /// <summary>The code [B, K] of a pooled backbone embedding [B, D].</summary>
    public Tensor Code(Tensor embedding) => code.forward(embedding);
}
