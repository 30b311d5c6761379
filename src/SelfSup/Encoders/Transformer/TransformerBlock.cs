using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// A pre-norm transformer block (ViT, Dosovitskiy et al. 2021): x + DropPath(Attn(LN(x))), then
/// x + DropPath(MLP(LN(x))). LayerNorm eps is 1e-6 as in timm's and MAE's ViTs.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    public const double LayerNormEps = 1e-6;

    readonly LayerNorm norm1;
    readonly Attention attn;
    readonly DropPath drop_path;
    readonly LayerNorm norm2;
    readonly Mlp mlp;

    public TransformerBlock(int dim, int heads, double mlpRatio = 4.0, double dropPath = 0.0) : base(nameof(TransformerBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: LayerNormEps);
        attn = new Attention(dim, heads);
        drop_path = new DropPath(dropPath);
        norm2 = nn.LayerNorm(dim, eps: LayerNormEps);
        mlp = new Mlp(dim, (int)Math.Round(dim * mlpRatio));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, keyPadding: null);

    /// <summary>The block over <paramref name="x"/> [B, N, D] with keys marked true in <paramref name="keyPadding"/> [B, N] left out of attention (null: none).</summary>
    public Tensor Forward(Tensor x, Tensor? keyPadding)
    {
        using var scope = NewDisposeScope();
        x = x + drop_path.call(attn.Forward(norm1.call(x), keyPadding));
        x = x + drop_path.call(mlp.call(norm2.call(x)));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Multiplies the weights of the two layers that write into the residual stream (attention output projection,
    /// second MLP layer) by <paramref name="factor"/>: I-JEPA's <c>fix_init_weight</c> uses 1/√(2·layer).
    /// </summary>
    public void ScaleOutputProjections(double factor)
    {
        using var noGrad = no_grad();
        attn.OutputProjection.weight!.mul_(factor);
        mlp.OutputLayer.weight!.mul_(factor);
    }

    /// <summary>I-JEPA's <c>fix_init_weight</c> over a stack: block l (1-based, in order) scaled by 1/√(2·l).</summary>
    public static void ScaleByDepth(IEnumerable<TransformerBlock> blocks)
    {
        var layer = 0;
        foreach (var block in blocks) block.ScaleOutputProjections(1 / Math.Sqrt(2.0 * ++layer));
    }

    /// <summary>This block's attention probabilities for input tokens <paramref name="x"/>: [B, H, N, N].</summary>
    public Tensor AttentionWeights(Tensor x)
    {
        using var scope = NewDisposeScope();
        return attn.Weights(norm1.call(x)).MoveToOuterDisposeScope();
    }
}
