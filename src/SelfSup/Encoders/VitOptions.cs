namespace SelfSup.Encoders;

/// <summary>How a <see cref="Vit"/> encodes token positions.</summary>
public enum VitPositions
{
    /// <summary>Fixed 2-D sine-cosine embeddings (MAE); not trained.</summary>
    SinCos,
    /// <summary>Learned embeddings (ViT, DeiT), initialised truncated-normal with std 0.02.</summary>
    Learned,
}

/// <summary>How a <see cref="Vit"/> pools its tokens into the embedding.</summary>
public enum VitPool
{
    /// <summary>The CLS token after the final norm (ViT, DINO).</summary>
    Cls,
    /// <summary>The mean of the patch tokens after the final norm (MAE's linear-probe variant uses CLS; fine-tuning uses mean).</summary>
    Mean,
}

/// <summary>Construction options of a <see cref="Vit"/>. Sizes of the ViT/DeiT family: tiny (192, 12, 3), small (384, 12, 6), base (768, 12, 12).</summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="ImageSize">Side of the square input the position grid is built for; other sizes interpolate the grid.</param>
/// <param name="PatchSize">Side of a square patch (kernel and stride of the patch-embedding convolution).</param>
/// <param name="Dim">Token width D (the embedding size).</param>
/// <param name="Depth">Number of transformer blocks.</param>
/// <param name="Heads">Attention heads; D must be divisible by it.</param>
/// <param name="MlpRatio">Hidden width of each block's MLP relative to D (4 in ViT).</param>
/// <param name="DropPath">Stochastic-depth rate of the last block, rising linearly from 0 over the blocks (0: off).</param>
/// <param name="Positions">Fixed sin-cos (default, as MAE) or learned position embeddings.</param>
/// <param name="Pool">CLS token (default) or mean of patch tokens.</param>
/// <param name="ClassToken">Prepend a learned CLS token (ViT, MAE, DINO); I-JEPA's ViT has none and is mean-pooled.</param>
public sealed record VitOptions(
    int InChannels = 3,
    int ImageSize = 224,
    int PatchSize = 16,
    int Dim = 192,
    int Depth = 12,
    int Heads = 3,
    double MlpRatio = 4.0,
    double DropPath = 0.0,
    VitPositions Positions = VitPositions.SinCos,
    VitPool Pool = VitPool.Cls,
    bool ClassToken = true)
{
    public static VitOptions Tiny(int inChannels, int imageSize, int patchSize) => new(inChannels, imageSize, patchSize, 192, 12, 3);
    public static VitOptions Small(int inChannels, int imageSize, int patchSize) => new(inChannels, imageSize, patchSize, 384, 12, 6);
    public static VitOptions Base(int inChannels, int imageSize, int patchSize) => new(inChannels, imageSize, patchSize, 768, 12, 12);

    /// <summary>Patch size the registry picks when none is given: 4 for images of at most 64 px, else 16.</summary>
    public static int DefaultPatchSize(int imageSize) => imageSize <= 64 ? 4 : 16;
}
