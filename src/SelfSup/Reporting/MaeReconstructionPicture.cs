using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting;

/// <summary>PNG grids of MAE reconstructions: one row per image, columns original | masked | reconstruction.</summary>
public static class MaeReconstructionPicture
{
    /// <summary>
    /// Writes <paramref name="reconstruction"/> as a PNG at <paramref name="path"/>, de-normalised with
    /// <paramref name="stats"/> and enlarged <paramref name="scale"/>× (nearest neighbour) so small images stay legible.
    /// </summary>
    public static void Save(string path, MaeReconstruction reconstruction, ChannelStats stats, int scale = 4)
    {
        if (scale < 1) throw new ArgumentException($"reconstruction picture: scale must be ≥ 1, got {scale}");
        using var scope = NewDisposeScope();
        var columns = new[] { reconstruction.Original, reconstruction.Masked, reconstruction.Reconstruction }
            .Select(t => ToBytes(t, stats)).ToArray(); // each [B, H, W, C] uint8
        var (b, h, w, c) = (columns[0].shape[0], (int)columns[0].shape[1], (int)columns[0].shape[2], (int)columns[0].shape[3]);
        const int gap = 2;
        var cellW = w * scale;
        var cellH = h * scale;
        var width = 3 * cellW + 4 * gap;
        var height = (int)b * cellH + ((int)b + 1) * gap;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(SKColors.White);
        for (int col = 0; col < 3; col++)
        {
            var pixels = columns[col].data<byte>().ToArray();
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
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>
    /// Loads an MAE checkpoint, reconstructs the first <paramref name="count"/> images of the <paramref name="split"/>
    /// split of its dataset (masks drawn from <paramref name="seed"/>) and writes the picture to <paramref name="path"/>.
    /// </summary>
    public static void FromCheckpoint(string checkpointPath, string path, int count = 8, string split = "test", long seed = 0,
        DatasetOptions? dataOptions = null, int scale = 4)
    {
        if (count < 1) throw new ArgumentException($"reconstruction picture: count must be ≥ 1, got {count}");
        var state = Checkpoint.ReadState(checkpointPath);
        var config = state.Config;
        var (method, _) = Pretraining.BuildMethod(config);
        using var owned = method;
        if (method is not Mae mae)
            throw new ArgumentException($"{checkpointPath}: reconstructions need an MAE checkpoint, this one is method '{config.Method}'");
        Checkpoint.Load(checkpointPath, method, optimizer: null);
        var options = config.DecodingOf(dataOptions ?? new DatasetOptions()) with { ImageSize = config.ImageSize, Channels = config.Channels };
        using var data = Datasets.Load(config.Data, split, options);
        var device = TorchRuntime.ParseDevice(config.Device);
        method.to(device);
        var stats = new ChannelStats(config.NormalizeMean, config.NormalizeStd);
        using var scope = NewDisposeScope();
        var x = stats.ToModelInput(data.Range(0, Math.Min(count, data.Count)), device); // [n, C, H, W]
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        using var r = mae.Reconstruct(x, generator);
        Save(path, r, stats, scale);
    }

    /// <summary>Normalised [B, C, H, W] → uint8 [B, H, W, C] on the CPU.</summary>
    static Tensor ToBytes(Tensor x, ChannelStats stats)
    {
        var c = x.shape[1];
        var mean = tensor(stats.Mean, device: x.device).view(1, c, 1, 1);
        var std = tensor(stats.Std, device: x.device).view(1, c, 1, 1);
        var unit = (x * std + mean).clamp(0, 1);
        return unit.mul(255).round().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().cpu();
    }
}
