using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// The one contract every backbone follows (after timm): <see cref="ForwardFeatures"/> gives the feature map or
/// tokens, <see cref="Pool"/> turns it into the embedding z = f(x) of size <see cref="EmbeddingDim"/>.
/// Input is a normalised float batch [B, C, H, W]. Linear probes, k-NN and fine-tuning rely only on this.
/// </summary>
public abstract class Encoder : nn.Module<Tensor, Tensor>
{
    /// <remarks>The first encoder of a process runs <see cref="OneDnnCheck"/>, so no model computes before the CPU's convolutions are known to be right.</remarks>
    protected Encoder(string name) : base(name) => OneDnnCheck.Run();

    /// <summary>Size of the pooled embedding.</summary>
    public abstract int EmbeddingDim { get; }

    /// <summary>Feature map [B, D, h, w] (CNNs) or tokens [B, T, D] (transformers).</summary>
    public abstract Tensor ForwardFeatures(Tensor x);

    /// <summary>Pooled embedding [B, D] from <see cref="ForwardFeatures"/>'s output.</summary>
    public abstract Tensor Pool(Tensor features);

    public override Tensor forward(Tensor x) => Pool(ForwardFeatures(x));
}
