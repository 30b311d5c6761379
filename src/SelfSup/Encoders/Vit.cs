using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// Vision Transformer (Dosovitskiy et al. 2021) as used by MAE and DINO: a conv patch embedding (kernel = stride =
/// patch), a CLS token, fixed 2-D sin-cos or learned positions (interpolated bicubically on the 2-D grid for
/// other input sizes), pre-norm blocks and a final LayerNorm. <see cref="ForwardFeatures"/> gives the tokens
/// [B, 1 + T, D] (CLS first; [B, T, D] for a ViT built without a class token); <see cref="ForwardVisible"/> runs only a chosen subset of patch tokens (MAE's
/// encoder sees 25 % of them).
/// </summary>
public sealed class Vit : Encoder
{
    readonly Conv2d patch_embed;
    readonly Parameter? cls_token;
    readonly Tensor? pos_embed_fixed;
    readonly Parameter? pos_embed;
    readonly ModuleList<TransformerBlock> blocks;
    readonly LayerNorm norm;

    public Vit(VitOptions options) : base(nameof(Vit))
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        Options = options;
        GridSize = options.ImageSize / options.PatchSize;
        patch_embed = ConvolutionGuard.Conv2d(options.InChannels, options.Dim, options.PatchSize, stride: options.PatchSize);
        if (options.ClassToken) cls_token = new Parameter(zeros(1, 1, options.Dim));
        var tokens = GridSize * GridSize;
        if (options.Positions == VitPositions.SinCos)
            pos_embed_fixed = SinCosPositions.Grid2D(options.Dim, GridSize, GridSize).unsqueeze(0); // [1, T, D]
        else
            pos_embed = new Parameter(zeros(1, tokens, options.Dim));
        blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < options.Depth; i++)
        {
            var rate = options.Depth > 1 ? options.DropPath * i / (options.Depth - 1) : options.DropPath;
            blocks.Add(new TransformerBlock(options.Dim, options.Heads, options.MlpRatio, rate));
        }
        norm = nn.LayerNorm(options.Dim, eps: TransformerBlock.LayerNormEps);
        RegisterComponents();

        TransformerInit.Apply(this);
        TransformerInit.PatchEmbedding(patch_embed);
        using var noGrad = no_grad();
        if (cls_token is not null) nn.init.normal_(cls_token, 0, 0.02);
        if (pos_embed is not null) TransformerInit.TruncatedNormal(pos_embed, 0.02);
    }

    public VitOptions Options { get; }

    /// <summary>Side of the patch grid at the configured image size.</summary>
    public int GridSize { get; }

    public int PatchSize => Options.PatchSize;

    public override int EmbeddingDim => Options.Dim;

    /// <summary>Tokens before the patch tokens in every output: 1 (CLS) or 0 (no class token).</summary>
    public int PrefixTokens => Options.ClassToken ? 1 : 0;

    /// <summary>
    /// Stops training the patch projection, leaving it at its random init: MoCo v3's remedy for the instability of
    /// ViT training (Chen et al. 2021, §4.2, <c>stop_grad_conv1</c>).
    /// </summary>
    public void FreezePatchEmbedding()
    {
        foreach (var p in patch_embed.parameters()) p.requires_grad = false;
    }

    /// <summary>Whether the patch projection is trained (false after <see cref="FreezePatchEmbedding"/>).</summary>
    public bool PatchEmbeddingTrainable => patch_embed.parameters().All(p => p.requires_grad);

    /// <summary>Patch tokens with positions added, before any block: [B, T, D] and the grid (rows, cols).</summary>
    public (Tensor Tokens, int GridH, int GridW) EmbedPatches(Tensor x)
    {
        EncoderInput.Check(x, Options.InChannels, nameof(Vit));
        var (h, w) = (x.shape[2], x.shape[3]);
        if (h % Options.PatchSize != 0 || w % Options.PatchSize != 0)
            throw new ArgumentException($"Vit input: image {h}×{w} is not divisible by the patch size {Options.PatchSize}");
        using var scope = NewDisposeScope();
        var (gh, gw) = ((int)(h / Options.PatchSize), (int)(w / Options.PatchSize));
        var t = patch_embed.call(x).flatten(2).transpose(1, 2); // [B, T, D]
        t = t + Positions(gh, gw);
        return (t.MoveToOuterDisposeScope(), gh, gw);
    }

    /// <summary>
    /// Position embeddings for a <paramref name="gridH"/>×<paramref name="gridW"/> patch grid, [1, T, D]: the stored
    /// ones at the configured size, else the stored grid resized bicubically (as timm and MAE do when fine-tuning at
    /// another resolution).
    /// </summary>
    public Tensor Positions(int gridH, int gridW)
    {
        var stored = pos_embed_fixed ?? pos_embed!;
        if (gridH == GridSize && gridW == GridSize) return stored.alias();
        using var scope = NewDisposeScope();
        var d = Options.Dim;
        var grid = stored.reshape(1, GridSize, GridSize, d).permute(0, 3, 1, 2); // [1, D, g, g]
        var resized = nn.functional.interpolate(grid, size: [gridH, gridW], mode: InterpolationMode.Bicubic, align_corners: false);
        return resized.permute(0, 2, 3, 1).reshape(1, (long)gridH * gridW, d).MoveToOuterDisposeScope(); // [1, T', D]
    }

    /// <summary>All tokens after the final norm: [B, 1 + T, D], CLS first.</summary>
    public override Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (tokens, _, _) = EmbedPatches(x);
        return RunBlocks(tokens).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The encoder on a subset of patch tokens: <paramref name="keepIndices"/> [B, K] (int64 token indices of each
    /// sample) picks the tokens after positions are added, CLS is prepended, and only those 1 + K tokens go through
    /// the blocks. Returns [B, 1 + K, D] after the final norm.
    /// </summary>
    public Tensor ForwardVisible(Tensor x, Tensor keepIndices)
    {
        if (keepIndices.dim() != 2 || keepIndices.shape[0] != x.shape[0])
            throw new ArgumentException($"Vit.ForwardVisible: keep indices must be [B, K] with B = {x.shape[0]}, got [{string.Join(", ", keepIndices.shape)}]");
        using var scope = NewDisposeScope();
        var (tokens, _, _) = EmbedPatches(x);
        var d = tokens.shape[2];
        var index = keepIndices.to(tokens.device).unsqueeze(-1).expand(-1, -1, d); // [B, K, D]
        var visible = tokens.gather(1, index);                                  // [B, K, D]
        return RunBlocks(visible).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The blocks on patch tokens that are already embedded with positions, [B, T', D] (e.g. BEiT's input, where
    /// masked patches are replaced by a mask token): CLS is prepended; returns [B, 1 + T', D] after the final norm.
    /// </summary>
    public Tensor ForwardEmbedded(Tensor tokens)
    {
        if (tokens.dim() != 3 || tokens.shape[2] != Options.Dim)
            throw new ArgumentException($"Vit.ForwardEmbedded: tokens must be [B, T, {Options.Dim}], got [{string.Join(", ", tokens.shape)}]");
        using var scope = NewDisposeScope();
        return RunBlocks(tokens).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The ViT on <paramref name="x"/> [B, C, H, W] with the patch embeddings at <paramref name="mask"/> [B, T]
    /// (1 = masked) replaced by <paramref name="maskToken"/> [1, 1, D] before positions are added, as BEiT and iBOT
    /// do: [B, P + T, D] after the final norm (P = <see cref="PrefixTokens"/>).
    /// </summary>
    public Tensor ForwardMasked(Tensor x, Tensor mask, Tensor maskToken)
    {
        if (maskToken.dim() != 3 || maskToken.shape[0] != 1 || maskToken.shape[1] != 1 || maskToken.shape[2] != Options.Dim)
            throw new ArgumentException($"Vit.ForwardMasked: mask token must be [1, 1, {Options.Dim}], got [{string.Join(", ", maskToken.shape)}]");
        using var scope = NewDisposeScope();
        var (tokens, gh, gw) = EmbedPatches(x);                              // [B, T, D], positions included
        if (mask.dim() != 2 || mask.shape[0] != tokens.shape[0] || mask.shape[1] != tokens.shape[1])
            throw new ArgumentException($"Vit.ForwardMasked: mask must be [{tokens.shape[0]}, {tokens.shape[1]}], got [{string.Join(", ", mask.shape)}]");
        var masked = maskToken + Positions(gh, gw);                          // [1, T, D]
        var chosen = mask.to(tokens.device).to(ScalarType.Bool).unsqueeze(-1); // [B, T, 1]
        var input = where(chosen, masked.expand_as(tokens), tokens);         // [B, T, D]
        return RunBlocks(input).MoveToOuterDisposeScope();
    }

    /// <summary>The last block's attention probabilities softmax(QKᵀ/√d): [B, H, 1 + T, 1 + T] (row 0 is the CLS query).</summary>
    public Tensor AttentionMaps(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (tokens, _, _) = EmbedPatches(x);
        var t = PrependCls(tokens);
        for (int i = 0; i < blocks.Count - 1; i++) t = blocks[i].call(t);
        return blocks[blocks.Count - 1].AttentionWeights(t).MoveToOuterDisposeScope();
    }

    /// <summary>CLS token (default) or the mean of patch tokens: [B, P + T, D] → [B, D] (P = <see cref="PrefixTokens"/>).</summary>
    public override Tensor Pool(Tensor features)
    {
        if (features.dim() != 3 || features.shape[2] != Options.Dim)
            throw new ArgumentException($"Vit pool: expected tokens [B, {PrefixTokens} + T, {Options.Dim}], got [{string.Join(", ", features.shape)}]");
        return Options.Pool == VitPool.Cls ? features.select(1, 0) : features.narrow(1, PrefixTokens, features.shape[1] - PrefixTokens).mean([1]);
    }

    Tensor PrependCls(Tensor tokens)
    {
        if (cls_token is null) return tokens.alias();
        using var cls = cls_token.expand(tokens.shape[0], -1, -1); // [B, 1, D]
        return cat([cls, tokens], 1);                              // [B, 1 + T, D]
    }

    Tensor RunBlocks(Tensor tokens)
    {
        var t = PrependCls(tokens);
        foreach (var block in blocks) t = block.call(t);
        return norm.call(t);
    }

    static void Validate(VitOptions o)
    {
        if (o.InChannels < 1) throw new ArgumentException($"VitOptions.InChannels: expected ≥ 1, got {o.InChannels}");
        if (o.PatchSize < 1) throw new ArgumentException($"VitOptions.PatchSize: expected ≥ 1, got {o.PatchSize}");
        if (o.ImageSize < o.PatchSize || o.ImageSize % o.PatchSize != 0)
            throw new ArgumentException($"VitOptions.ImageSize: expected a multiple of the patch size {o.PatchSize}, got {o.ImageSize}");
        if (o.Depth < 1) throw new ArgumentException($"VitOptions.Depth: expected ≥ 1, got {o.Depth}");
        if (o.Heads < 1 || o.Dim % o.Heads != 0)
            throw new ArgumentException($"VitOptions.Dim: expected a multiple of Heads ({o.Heads}), got {o.Dim}");
        if (o.Positions == VitPositions.SinCos && o.Dim % 4 != 0)
            throw new ArgumentException($"VitOptions.Dim: sin-cos positions need a multiple of 4, got {o.Dim}");
        if (!(o.MlpRatio > 0)) throw new ArgumentException($"VitOptions.MlpRatio: expected > 0, got {o.MlpRatio}");
        if (!(o.DropPath >= 0 && o.DropPath < 1)) throw new ArgumentException($"VitOptions.DropPath: expected [0, 1), got {o.DropPath}");
        if (!o.ClassToken && o.Pool == VitPool.Cls) throw new ArgumentException("VitOptions.Pool: a ViT without a class token must pool the mean of its patch tokens (VitPool.Mean), got Cls");
    }

    /// <summary>
    /// All tokens, as <see cref="ForwardFeatures"/>, after the final norm or, with <paramref name="applyNorm"/> false,
    /// straight from the last block: MAE's fine-tuning with global pooling (models_vit.py) pools these and normalises
    /// the pooled vector with a fresh fc_norm instead.
    /// </summary>
    public Tensor ForwardTokens(Tensor x, bool applyNorm = true)
    {
        using var scope = NewDisposeScope();
        var (tokens, _, _) = EmbedPatches(x);
        var t = PrependCls(tokens);
        foreach (var block in blocks) t = block.call(t); // [B, 1 + T, D]
        return (applyNorm ? norm.call(t) : t).MoveToOuterDisposeScope();
    }
}
