using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>How a <see cref="TransformerStack"/> draws its initial weights; each user takes its paper's reference.</summary>
public enum TransformerStackInit
{
    /// <summary>
    /// MAE's (facebookresearch/mae <c>models_mae.py</c>, <c>_init_weights</c>, "following official JAX ViT"): every
    /// Linear weight xavier-uniform, bound √(6 / (fan_in + fan_out)), the fused qkv projection as one [3D, D] matrix.
    /// </summary>
    XavierUniform,

    /// <summary>
    /// I-JEPA's predictor (facebookresearch/ijepa <c>VisionTransformerPredictor</c>): every Linear weight truncated
    /// normal with std 0.02 (<see cref="TransformerInit.TruncatedNormal"/>), then <c>fix_init_weight</c>: block l's
    /// (l = 1 … depth) attention output projection and second MLP layer divided by √(2·l).
    /// </summary>
    TruncatedNormalDepthScaled,
}

/// <summary>
/// The narrow transformer that MAE's decoder and I-JEPA's predictor share: a Linear embedding from the encoder
/// width to the stack width, one learned mask token, fixed 2-D sin-cos positions of the patch grid, pre-norm
/// <see cref="TransformerBlock"/>s, a final LayerNorm and a Linear output projection. It sits beside
/// <see cref="TransformerBlock"/> as a building block rather than in <c>Heads/</c>, because which tokens go in
/// (visible tokens and mask tokens in image order, or context tokens then target queries) and which come out is
/// the head's business: heads call <see cref="Embed"/>, <see cref="MaskTokens"/> and <see cref="Positions"/> to
/// assemble the sequence and <see cref="Predict"/> to run it. Biases are zero, LayerNorms γ = 1, β = 0, the mask
/// token N(0, 0.02²) (both references); Linear weights follow <see cref="TransformerStackInit"/>.
/// State-dict keys: <c>embed</c>, <c>mask_token</c> [1, 1, D], <c>pos_embed</c> [T, D] (a fixed buffer),
/// <c>blocks.{i}</c>, <c>norm</c>, <c>proj</c>.
/// </summary>
public sealed class TransformerStack : nn.Module
{
    readonly Linear embed;
    readonly Parameter mask_token;
    readonly Tensor pos_embed;
    readonly ModuleList<TransformerBlock> blocks;
    readonly LayerNorm norm;
    readonly Linear proj;

    /// <param name="inputDim">Width of the tokens handed to <see cref="Embed"/> (the encoder's).</param>
    /// <param name="dim">Width of the stack; a multiple of 4 (sin-cos positions) and of <paramref name="heads"/>.</param>
    /// <param name="depth">Number of blocks, ≥ 1.</param>
    /// <param name="heads">Attention heads per block.</param>
    /// <param name="gridSize">Side of the square patch grid the positions are built for.</param>
    /// <param name="outputDim">Width of <see cref="Predict"/>'s output.</param>
    /// <param name="init">The reference initialisation to follow.</param>
    /// <param name="owner">Name used in error messages, e.g. "MAE decoder".</param>
    public TransformerStack(int inputDim, int dim, int depth, int heads, int gridSize, int outputDim, TransformerStackInit init, string owner)
        : base(nameof(TransformerStack))
    {
        if (dim < 4 || dim % 4 != 0) throw new ArgumentException($"{owner}: width must be a positive multiple of 4, got {dim}");
        if (depth < 1) throw new ArgumentException($"{owner}: depth must be ≥ 1, got {depth}");
        if (heads < 1 || dim % heads != 0) throw new ArgumentException($"{owner}: width {dim} must be divisible by heads {heads}");
        Owner = owner;
        embed = nn.Linear(inputDim, dim);
        mask_token = new Parameter(zeros(1, 1, dim));
        pos_embed = SinCosPositions.Grid2D(dim, gridSize, gridSize); // [T, D]
        blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < depth; i++) blocks.Add(new TransformerBlock(dim, heads));
        norm = nn.LayerNorm(dim, eps: TransformerBlock.LayerNormEps);
        proj = nn.Linear(dim, outputDim);
        RegisterComponents();
        Initialize(init);
    }

    /// <summary>Name used in error messages.</summary>
    public string Owner { get; }

    /// <summary>Number of grid positions T the stack is built for.</summary>
    public long Tokens => pos_embed.shape[0];

    /// <summary>Fixed 2-D sin-cos positions of the patch grid in row-major order: [T, D].</summary>
    public Tensor Positions => pos_embed;

    /// <summary>Encoder tokens [B, N, inputDim] → [B, N, D].</summary>
    public Tensor Embed(Tensor tokens) => embed.call(tokens);

    /// <summary>The shared mask token repeated for <paramref name="count"/> tokens of <paramref name="batch"/> samples: [B, count, D] (a view).</summary>
    public Tensor MaskTokens(long batch, long count) => mask_token.expand(batch, count, -1);

    /// <summary>
    /// The blocks and the final norm over the whole sequence [B, N, D], then the output projection of the
    /// <paramref name="count"/> tokens from <paramref name="start"/> on: [B, count, outputDim].
    /// </summary>
    public Tensor Predict(Tensor sequence, long start, long count)
    {
        using var scope = NewDisposeScope();
        var h = sequence;
        foreach (var block in blocks) h = block.call(h);
        h = norm.call(h);
        return proj.call(h.narrow(1, start, count)).MoveToOuterDisposeScope(); // [B, count, outputDim]
    }

    void Initialize(TransformerStackInit init)
    {
        switch (init)
        {
            case TransformerStackInit.XavierUniform:
                TransformerInit.ApplyXavierUniform(this);
                break;
            case TransformerStackInit.TruncatedNormalDepthScaled:
                TransformerInit.Apply(this);
                TransformerBlock.ScaleByDepth(blocks);
                break;
            default:
                throw new ArgumentException($"{Owner}: unknown init {init}");
        }
        using var noGrad = no_grad();
        nn.init.normal_(mask_token, 0, 0.02);
    }
}
