using SelfSup.Encoders.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// I-JEPA's predictor (Assran et al. 2023, §3): a narrow ViT that maps the context encoder's tokens to the
/// encoder's embeddings at target positions. Context tokens are projected to the predictor width and given their
/// 2-D sin-cos positions; each target position is one shared learned mask token plus its sin-cos position; all go
/// through pre-norm blocks and the outputs at the target positions are projected back to the encoder width.
/// Paper: width 384, depth 12 (ViT-H/14 encoder). Built on <see cref="TransformerStack"/> with the reference
/// predictor's init (truncated normal, block outputs scaled by depth; state-dict keys <c>stack.*</c>).
/// </summary>
public sealed class JepaPredictor : nn.Module
{
    readonly TransformerStack stack;

    public JepaPredictor(int encoderDim, int predictorDim, int depth, int heads, int gridSize) : base(nameof(JepaPredictor))
    {
        GridSize = gridSize;
        stack = new TransformerStack(encoderDim, predictorDim, depth, heads, gridSize, encoderDim,
            TransformerStackInit.TruncatedNormalDepthScaled, "I-JEPA predictor");
        RegisterComponents();
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
        var x = stack.Embed(context) + PositionsAt(contextIndices);                // [B, K, Dp]
        var (b, n) = (targetIndices.shape[0], targetIndices.shape[1]);
        var queries = stack.MaskTokens(b, n) + PositionsAt(targetIndices);         // [B, N, Dp]
        var h = cat([x, queries], 1);                                              // [B, K + N, Dp]
        return stack.Predict(h, x.shape[1], n).MoveToOuterDisposeScope();          // [B, N, De]
    }

    /// <summary>Sin-cos positions of token indices [B, N] → [B, N, Dp].</summary>
    Tensor PositionsAt(Tensor indices) =>
        stack.Positions.index_select(0, indices.flatten()).view(indices.shape[0], indices.shape[1], -1);
}
