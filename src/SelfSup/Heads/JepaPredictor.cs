using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// I-JEPA's predictor (Assran et al. 2023, §3): a narrow ViT that maps the context encoder's tokens to the
/// encoder's embeddings at target positions. Context tokens are projected to the predictor width and given their
/// 2-D sin-cos positions; each target position is one shared learned mask token plus its sin-cos position; all go
/// through pre-norm blocks and the outputs at the target positions are projected back to the encoder width.
/// Paper: width 384, depth 12 (ViT-H/14 encoder).
/// </summary>
public sealed class JepaPredictor : nn.Module
{
    readonly Linear predictor_embed;
    readonly Parameter mask_token;
    readonly Tensor predictor_pos_embed;
    readonly ModuleList<TransformerBlock> predictor_blocks;
    readonly LayerNorm predictor_norm;
    readonly Linear predictor_proj;

    public JepaPredictor(int encoderDim, int predictorDim, int depth, int heads, int gridSize) : base(nameof(JepaPredictor))
    {
        if (predictorDim < 4 || predictorDim % 4 != 0) throw new ArgumentException($"I-JEPA predictor: width must be a positive multiple of 4, got {predictorDim}");
        if (depth < 1) throw new ArgumentException($"I-JEPA predictor: depth must be ≥ 1, got {depth}");
        if (heads < 1 || predictorDim % heads != 0) throw new ArgumentException($"I-JEPA predictor: width {predictorDim} must be divisible by heads {heads}");
        GridSize = gridSize;
        predictor_embed = nn.Linear(encoderDim, predictorDim);
        mask_token = new Parameter(zeros(1, 1, predictorDim));
        predictor_pos_embed = SinCosPositions.Grid2D(predictorDim, gridSize, gridSize); // [T, Dp]
        predictor_blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < depth; i++) predictor_blocks.Add(new TransformerBlock(predictorDim, heads));
        predictor_norm = nn.LayerNorm(predictorDim, eps: TransformerBlock.LayerNormEps);
        predictor_proj = nn.Linear(predictorDim, encoderDim);
        RegisterComponents();
        TransformerInit.Apply(this);
        using var noGrad = no_grad();
        nn.init.normal_(mask_token, 0, 0.02);
    }

    /// <summary>Side of the patch grid the predictor's positions are built for.</summary>
    public int GridSize { get; }

    /// <summary>
    /// Context tokens [B, K, De] at token indices <paramref name="contextIndices"/> [B, K] → predicted embeddings
    /// [B, N, De] at token indices <paramref name="targetIndices"/> [B, N] (int64, row-major on the patch grid).
    /// </summary>
    public Tensor Forward(Tensor context, Tensor contextIndices, Tensor targetIndices)
    {
        if (context.dim() != 3 || contextIndices.dim() != 2 || targetIndices.dim() != 2
            || context.shape[0] != contextIndices.shape[0] || context.shape[1] != contextIndices.shape[1] || targetIndices.shape[0] != context.shape[0])
            throw new ArgumentException($"I-JEPA predictor: expected context [B, K, D], context indices [B, K] and target indices [B, N], got "
                + $"[{string.Join(", ", context.shape)}], [{string.Join(", ", contextIndices.shape)}], [{string.Join(", ", targetIndices.shape)}]");
        using var scope = NewDisposeScope();
        var pos = predictor_pos_embed.to(context.device);                                   // [T, Dp]
        var x = predictor_embed.call(context) + pos.index_select(0, contextIndices.flatten())
            .view(contextIndices.shape[0], contextIndices.shape[1], -1);                   // [B, K, Dp]
        var (b, n) = (targetIndices.shape[0], targetIndices.shape[1]);
        var targetPos = pos.index_select(0, targetIndices.flatten()).view(b, n, -1);       // [B, N, Dp]
        var queries = mask_token.expand(b, n, -1) + targetPos;                             // [B, N, Dp]
        var h = cat([x, queries], 1);                                                      // [B, K + N, Dp]
        foreach (var block in predictor_blocks) h = block.call(h);
        h = predictor_norm.call(h);
        var pred = predictor_proj.call(h.narrow(1, x.shape[1], n));                        // [B, N, De]
        return pred.MoveToOuterDisposeScope();
    }
}
