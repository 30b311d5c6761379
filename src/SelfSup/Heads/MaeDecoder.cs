using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// MAE's light-weight decoder (He et al. 2022, §3): projects the encoder's visible tokens to the decoder width,
/// fills the masked positions with one shared learned mask token, restores the original token order, adds its own
/// fixed 2-D sin-cos positions, runs a few pre-norm blocks and predicts the pixels of every patch
/// (p·p·C values per token). Paper: width 512, depth 8, 16 heads.
/// </summary>
public sealed class MaeDecoder : nn.Module
{
    readonly Linear decoder_embed;
    readonly Parameter mask_token;
    readonly Tensor decoder_pos_embed;
    readonly ModuleList<TransformerBlock> decoder_blocks;
    readonly LayerNorm decoder_norm;
    readonly Linear decoder_pred;

    public MaeDecoder(int encoderDim, int decoderDim, int depth, int heads, int gridSize, int patchValues) : base(nameof(MaeDecoder))
    {
        if (decoderDim < 4 || decoderDim % 4 != 0) throw new ArgumentException($"MAE decoder: width must be a positive multiple of 4, got {decoderDim}");
        if (depth < 1) throw new ArgumentException($"MAE decoder: depth must be ≥ 1, got {depth}");
        if (heads < 1 || decoderDim % heads != 0) throw new ArgumentException($"MAE decoder: width {decoderDim} must be divisible by heads {heads}");
        GridSize = gridSize;
        decoder_embed = nn.Linear(encoderDim, decoderDim);
        mask_token = new Parameter(zeros(1, 1, decoderDim));
        decoder_pos_embed = SinCosPositions.Grid2D(decoderDim, gridSize, gridSize).unsqueeze(0); // [1, T, Dd]
        decoder_blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < depth; i++) decoder_blocks.Add(new TransformerBlock(decoderDim, heads));
        decoder_norm = nn.LayerNorm(decoderDim, eps: TransformerBlock.LayerNormEps);
        decoder_pred = nn.Linear(decoderDim, patchValues);
        RegisterComponents();
        TransformerInit.Apply(this);
        using var noGrad = no_grad();
        nn.init.normal_(mask_token, 0, 0.02);
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
        if (t != decoder_pos_embed.shape[1])
            throw new ArgumentException($"MAE decoder: built for {decoder_pos_embed.shape[1]} tokens, got restore ids for {t}");
        var x = decoder_embed.call(latent);                                        // [B, 1 + K, Dd]
        var d = x.shape[2];
        var visible = x.narrow(1, 1, x.shape[1] - 1);                              // [B, K, Dd]
        var masked = mask_token.expand(b, t - visible.shape[1], d);                // [B, T − K, Dd]
        var shuffled = cat([visible, masked], 1);                                  // [B, T, Dd] in keep order
        var ordered = shuffled.gather(1, restore.unsqueeze(-1).expand(-1, -1, d)); // [B, T, Dd] in token order
        ordered = ordered + decoder_pos_embed;
        var h = cat([x.narrow(1, 0, 1), ordered], 1);                              // [B, 1 + T, Dd]; CLS has no position
        foreach (var block in decoder_blocks) h = block.call(h);
        h = decoder_norm.call(h);
        var pred = decoder_pred.call(h.narrow(1, 1, t));                           // [B, T, p·p·C]
        return pred.MoveToOuterDisposeScope();
    }
}
