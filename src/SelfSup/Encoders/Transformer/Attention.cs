using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// Multi-head self-attention with one fused qkv projection. The forward pass uses libtorch's
/// scaled_dot_product_attention (fused kernels where available); <see cref="Weights"/> computes
/// softmax(QKᵀ/√d) explicitly for inspection.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly int heads;
    readonly int headDim;

    public Attention(int dim, int heads) : base(nameof(Attention))
    {
        if (heads < 1 || dim % heads != 0)
            throw new ArgumentException($"attention: embedding dim {dim} must be divisible by the number of heads {heads}");
        this.heads = heads;
        headDim = dim / heads;
        qkv = nn.Linear(dim, 3 * dim);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public int Heads => heads;

    /// <summary>The projection of the concatenated heads back to the width (<c>attn.proj</c> in timm and MAE).</summary>
    internal Linear OutputProjection => proj;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, n, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var (q, k, v) = Split(x);
        var o = nn.functional.scaled_dot_product_attention(q, k, v); // [B, H, N, hd]
        o = o.transpose(1, 2).reshape(b, n, d);                      // [B, N, D]
        return proj.call(o).MoveToOuterDisposeScope();
    }

    /// <summary>Attention probabilities softmax(QKᵀ/√d): [B, H, N, N], each row sums to 1.</summary>
    public Tensor Weights(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (q, k, _) = Split(x);
        var logits = q.matmul(k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(headDim)); // [B, H, N, N]
        return logits.softmax(-1).MoveToOuterDisposeScope();
    }

    (Tensor Q, Tensor K, Tensor V) Split(Tensor x)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        var t = qkv.call(x).reshape(b, n, 3, heads, headDim).permute(2, 0, 3, 1, 4); // [3, B, H, N, hd]
        return (t[0], t[1], t[2]);
    }
}
