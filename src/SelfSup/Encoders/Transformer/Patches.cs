using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// Images ⇄ flattened patches in MAE's layout: token t = row·(W/p) + col, each patch flattened as (p, p, C), so
/// a patch vector is [p·p·C] with channels fastest.
/// </summary>
public static class Patches
{
    /// <summary>[B, C, H, W] → [B, (H/p)·(W/p), p·p·C].</summary>
    public static Tensor Patchify(Tensor images, int patch)
    {
        if (images.dim() != 4) throw new ArgumentException($"patchify: expected images [B, C, H, W], got [{string.Join(", ", images.shape)}]");
        var (b, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        if (patch < 1 || h % patch != 0 || w % patch != 0)
            throw new ArgumentException($"patchify: image {h}×{w} is not divisible by patch size {patch}");
        var (gh, gw) = (h / patch, w / patch);
        using var x = images.reshape(b, c, gh, patch, gw, patch);              // [B, C, gh, p, gw, p]
        using var y = x.permute(0, 2, 4, 3, 5, 1);                            // [B, gh, gw, p, p, C]
        return y.reshape(b, gh * gw, patch * patch * c);
    }

    /// <summary>[B, gh·gw, p·p·C] → [B, C, gh·p, gw·p].</summary>
    public static Tensor Unpatchify(Tensor patches, int patch, int channels, int gridH, int gridW)
    {
        if (patches.dim() != 3 || patches.shape[1] != (long)gridH * gridW || patches.shape[2] != (long)patch * patch * channels)
            throw new ArgumentException($"unpatchify: expected [B, {gridH * gridW}, {patch * patch * channels}], got [{string.Join(", ", patches.shape)}]");
        var b = patches.shape[0];
        using var x = patches.reshape(b, gridH, gridW, patch, patch, channels); // [B, gh, gw, p, p, C]
        using var y = x.permute(0, 5, 1, 3, 2, 4);                            // [B, C, gh, p, gw, p]
        return y.reshape(b, channels, gridH * patch, gridW * patch);
    }
}
