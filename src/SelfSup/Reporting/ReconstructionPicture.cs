using SelfSup.Augment;
using SelfSup.Reporting.Plots;
using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting;

/// <summary>
/// PNG grids of images a method made: one row per image, one column per tensor (original | masked | reconstruction
/// for MAE, original | corrupted | reconstruction for a denoising autoencoder, prior samples or latent interpolations for
/// a VAE). <see cref="CheckpointPictures"/> draws them from a checkpoint.
/// </summary>
public static class ReconstructionPicture
{
    /// <summary>
    /// Writes <paramref name="columns"/> (each normalised [B, C, H, W], all of one shape) as a PNG at
    /// <paramref name="path"/>, de-normalised with <paramref name="stats"/> and enlarged <paramref name="scale"/>×
    /// (nearest neighbour) so small images stay legible.
    /// </summary>
    public static void Save(string path, IReadOnlyList<Tensor> columns, ChannelStats stats, int scale = 4)
    {
        if (scale < 1) throw new ArgumentException($"reconstruction picture: scale must be ≥ 1, got {scale}");
        if (columns.Count == 0) throw new ArgumentException("reconstruction picture: no columns to draw");
        if (columns.Any(c => !c.shape.SequenceEqual(columns[0].shape)))
            throw new ArgumentException("reconstruction picture: every column must have the shape of the first");
        using var scope = NewDisposeScope();
        var bytes = columns.Select(t => ToBytes(t, stats)).ToArray(); // each [B, H, W, C] uint8
        var (b, h, w, c) = (bytes[0].shape[0], (int)bytes[0].shape[1], (int)bytes[0].shape[2], (int)bytes[0].shape[3]);
        const int gap = 2;
        var cellW = w * scale;
        var cellH = h * scale;
        var width = columns.Count * cellW + (columns.Count + 1) * gap;
        var height = (int)b * cellH + ((int)b + 1) * gap;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(SKColors.White);
        for (int col = 0; col < columns.Count; col++)
        {
            var pixels = bytes[col].data<byte>().ToArray();
            for (int row = 0; row < b; row++)
                for (int y = 0; y < cellH; y++)
                    for (int x = 0; x < cellW; x++)
                    {
                        var at = (((long)row * h + y / scale) * w + x / scale) * c;
                        var color = c == 1
                            ? new SKColor(pixels[at], pixels[at], pixels[at])
                            : new SKColor(pixels[at], pixels[at + 1], pixels[at + 2]);
                        bitmap.SetPixel(gap + col * (cellW + gap) + x, gap + row * (cellH + gap) + y, color);
                    }
        }
        PngCanvas.Save(bitmap, path);
    }

    /// <summary>Normalised [B, C, H, W] → uint8 [B, H, W, C] on the CPU.</summary>
    static Tensor ToBytes(Tensor x, ChannelStats stats) =>
        stats.Denormalize(x).clamp_(0, 1).mul_(255).round_().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().cpu();
}
