using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// Multi-head self-attention with one fused qkv projection. The forward pass uses libtorch's
/// scaled_dot_product_attention (fused kernels where available); <see cref="Weights"/> computes
/// softmax(QKᵀ/√d) explicitly for inspection. <see cref="Forward"/> takes an optional key-padding mask (BERT's
/// attention mask, Devlin et al. 2019): keys marked as padding get no attention weight, so padded positions never
/// change the states of the other tokens.
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

    public override Tensor forward(Tensor x) => Forward(x, keyPadding: null);

    /// <summary>
    /// Attention over <paramref name="x"/> [B, N, D] where the keys marked true in <paramref name="keyPadding"/> [B, N]
    /// (bool) are left out of every softmax; null: all keys take part (the ViT path, unchanged). Each row needs at
    /// least one key that is not padding.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? keyPadding)
    {
        using var scope = NewDisposeScope();
        var (b, n, d) = (x.shape[0], x.shape[1], x.shape[2]);
        var (q, k, v) = Split(x);
        var allowed = keyPadding is null ? null : KeysAllowed(keyPadding, b, n); // [B, 1, 1, N]
        var o = nn.functional.scaled_dot_product_attention(q, k, v, allowed); // [B, H, N, hd]
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

    /// <summary>The keys each query may attend to, true where not padding: [B, 1, 1, N], broadcast over heads and queries.</summary>
    static Tensor KeysAllowed(Tensor keyPadding, long b, long n)
    {
        if (keyPadding.dtype != ScalarType.Bool || keyPadding.dim() != 2 || keyPadding.shape[0] != b || keyPadding.shape[1] != n)
            throw new ArgumentException($"attention: key padding mask must be bool [{b}, {n}], got {keyPadding.dtype} [{string.Join(", ", keyPadding.shape)}]");
        return keyPadding.logical_not().reshape(b, 1, 1, n);
    }

    (Tensor Q, Tensor K, Tensor V) Split(Tensor x)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        var t = qkv.call(x).reshape(b, n, 3, heads, headDim).permute(2, 0, 3, 1, 4); // [3, B, H, N, hd]
        return (t[0], t[1], t[2]);
    }
}
