using SelfSup.Encoders.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// MAE's light-weight decoder (He et al. 2022, §3): projects the encoder's visible tokens to the decoder width,
/// fills the masked positions with one shared learned mask token, restores the original token order, adds its own
/// fixed 2-D sin-cos positions, runs a few pre-norm blocks and predicts the pixels of every patch
/// (p·p·C values per token). Paper: width 512, depth 8, 16 heads. Built on <see cref="TransformerStack"/> with MAE's
/// xavier-uniform init (state-dict keys <c>stack.*</c>).
/// </summary>
public sealed class MaeDecoder : nn.Module
{
    readonly TransformerStack stack;

    public MaeDecoder(int encoderDim, int decoderDim, int depth, int heads, int gridSize, int patchValues) : base(nameof(MaeDecoder))
    {
        GridSize = gridSize;
        stack = new TransformerStack(encoderDim, decoderDim, depth, heads, gridSize, patchValues, TransformerStackInit.XavierUniform, "MAE decoder");
        RegisterComponents();
    }

    /// <summary>Side of the patch grid the decoder's positions are built for.</summary>
    public int GridSize { get; }

    /// <summary>
    /// Encoder output [B, 1 + K, De] (CLS first, then the visible tokens in keep order) and the restore ids [B, T]
    /// of the mask → predicted patch values [B, T, p·p·C] for every token in the original order.
    /// </summary>
    public Tensor Forward(Tensor latent, Tensor restore)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (restore.shape[0], restore.shape[1]);
        if (t != stack.Tokens)
            throw new ArgumentException($"MAE decoder: built for {stack.Tokens} tokens, got restore ids for {t}");
        var x = stack.Embed(latent);                                               // [B, 1 + K, Dd]
        var d = x.shape[2];
        var visible = x.narrow(1, 1, x.shape[1] - 1);                              // [B, K, Dd]
        var masked = stack.MaskTokens(b, t - visible.shape[1]);                    // [B, T − K, Dd]
        var shuffled = cat([visible, masked], 1);                                  // [B, T, Dd] in keep order
        var ordered = shuffled.gather(1, restore.unsqueeze(-1).expand(-1, -1, d)); // [B, T, Dd] in token order
        ordered = ordered + stack.Positions;
        var h = cat([x.narrow(1, 0, 1), ordered], 1);                              // [B, 1 + T, Dd]; CLS has no position
        return stack.Predict(h, 1, t).MoveToOuterDisposeScope();                   // [B, T, p·p·C]
    }
}
