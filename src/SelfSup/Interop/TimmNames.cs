using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>
/// timm's ViT names (<c>timm.models.vision_transformer.VisionTransformer</c>): patch_embed.proj (the patch conv),
/// cls_token [1, 1, D], pos_embed, blocks.{i}.norm1 / attn.qkv / attn.proj / norm2 / mlp.fc1 / mlp.fc2, norm;
/// the classifier <c>head</c> is skipped on import. Two differences in layout: our patch conv is <c>patch_embed</c>
/// itself, and timm's pos_embed of a model with a class token is [1, 1 + T, D], its first row added to the CLS
/// token. Export writes that row as zeros (MAE's convention); import folds it into cls_token, which gives the same
/// first token after positions are added. Fixed sin-cos positions export and import as pos_embed like learned ones.
/// </summary>
public sealed class TimmNames : ReferenceNames
{
    public static readonly TimmNames Instance = new();

    const string OwnPatch = "patch_embed.";
    const string ClsToken = "cls_token";
    const string Positions = "pos_embed";
    const string FixedPositions = "pos_embed_fixed";

    TimmNames() { }

    public override string Library => "timm";

    public override string ToReferenceKey(string ownKey) => ownKey switch
    {
        FixedPositions => Positions,
        _ when ownKey.StartsWith(OwnPatch, StringComparison.Ordinal) => "patch_embed.proj." + ownKey[OwnPatch.Length..],
        _ => ownKey,
    };

    public override bool IsClassifier(string referenceKey) => referenceKey.StartsWith("head.", StringComparison.Ordinal);

    protected override Tensor ExportTensor(string ownKey, Tensor value, IReadOnlyDictionary<string, Tensor> own)
    {
        if (ToReferenceKey(ownKey) != Positions || !own.ContainsKey(ClsToken)) return value;
        var clsRow = zeros(value.shape[0], 1, value.shape[2], dtype: value.dtype, device: value.device); // [1, 1, D]
        return cat([clsRow, value], 1);                                                                     // [1, 1 + T, D]
    }

    protected override Tensor ImportTensor(string ownKey, string referenceKey, IReadOnlyDictionary<string, Tensor> reference)
    {
        var value = reference[referenceKey];
        if (!reference.ContainsKey(ClsToken)) return value;
        var positions = reference[Positions];                           // [1, 1 + T, D]
        if (referenceKey == Positions) return value.narrow(1, 1, value.shape[1] - 1); // [1, T, D]
        if (referenceKey == ClsToken) return value + positions.narrow(1, 0, 1);       // [1, 1, D]: CLS with its position
        return value;
    }
}
