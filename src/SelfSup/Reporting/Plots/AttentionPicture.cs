using SelfSup.Encoders;
using SelfSup.Runs;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>
/// A ViT's self-attention as a picture (DINO, Caron et al. 2021, Fig. 1 and 3): for each image, the last block's
/// attention from the CLS query to every patch, one map per head, each scaled to its own minimum and maximum and
/// drawn over the patch grid. One row per image: the image, then one cell per head.
/// </summary>
public static class AttentionPicture
{
    /// <summary>The file <see cref="FromCheckpoint"/> writes in its output folder.</summary>
    public const string FileName = "attention.png";

    /// <summary>Colour stops of the heat map, from low (dark blue) to high attention (yellow).</summary>
    static readonly (float R, float G, float B)[] Stops = [(13, 8, 135), (126, 3, 168), (204, 71, 120), (248, 149, 64), (240, 249, 33)];

    /// <summary>
    /// The last block's CLS→patch attention of <paramref name="vit"/> for model input <paramref name="x"/>
    /// [B, C, H, W]: [B, heads, H/p, W/p], each map the CLS row of the attention probabilities without its CLS column.
    /// </summary>
    public static Tensor ClsAttention(Vit vit, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(vit);
        if (!vit.Options.ClassToken) throw new ArgumentException("attention maps: the ViT has no CLS token (a /nocls encoder); there is no CLS attention to draw");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var maps = vit.AttentionMaps(x);                                        // [B, heads, 1 + T, 1 + T]
        var cls = maps.select(2, 0).narrow(2, 1, maps.shape[3] - 1);           // [B, heads, T]: CLS query, patch keys
        var (gh, gw) = (x.shape[2] / vit.PatchSize, x.shape[3] / vit.PatchSize);
        return cls.reshape(x.shape[0], maps.shape[1], gh, gw).MoveToOuterDisposeScope(); // [B, heads, gh, gw]
    }

    /// <summary>
    /// Writes the grid for uint8 <paramref name="images"/> [N, C, H, W] and <paramref name="attention"/>
    /// [N, heads, gh, gw] to <paramref name="path"/>, every cell <paramref name="cell"/> pixels square (nearest neighbour).
    /// </summary>
    public static void Save(string path, Tensor images, Tensor attention, int cell = 64)
    {
        if (attention.dim() != 4 || images.dim() != 4 || attention.shape[0] != images.shape[0])
            throw new ArgumentException($"attention picture: expected images [N, C, H, W] and maps [N, heads, h, w] for the same N, got [{string.Join(", ", images.shape)}] and [{string.Join(", ", attention.shape)}]");
        if (cell < 1) throw new ArgumentException($"attention picture: cell must be ≥ 1, got {cell}");
        const int gap = 4;
        var (n, heads) = ((int)attention.shape[0], (int)attention.shape[1]);
        using var bitmap = new SKBitmap(new SKImageInfo(gap + (1 + heads) * (cell + gap), gap + n * (cell + gap), SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var maps = attention.detach().to(ScalarType.Float32).cpu();
            for (int i = 0; i < n; i++)
            {
                var y = gap + i * (cell + gap);
                using (var image = NeighbourGrid.ToBitmap(images[i])) Draw(canvas, image, gap, y, cell);
                for (int h = 0; h < heads; h++)
                    using (var heat = HeatMap(maps[i, h])) Draw(canvas, heat, gap + (1 + h) * (cell + gap), y, cell);
            }
        }
        PngCanvas.Save(bitmap, path);
    }

    /// <summary>The file beside <see cref="FileName"/> with the random-init twin's maps of the same images.</summary>
    public const string RandomInitFileName = "attention-random-init.png";

    /// <summary>The file with <see cref="AttentionFocus"/> of the trained encoder and of its random-init twin.</summary>
    public const string FocusFileName = "attention.json";

    /// <summary>
    /// Loads a ViT checkpoint and draws the first <paramref name="count"/> test images of the evaluation data
    /// (<paramref name="data"/>: the pretraining data unless it names other data) into <see cref="FileName"/>, the same
    /// images through the random-init twin (BatchNorm-free ViT, so nothing to re-estimate) into
    /// <see cref="RandomInitFileName"/>, and writes both encoders' <see cref="AttentionFocus"/> over up to
    /// <paramref name="focusImages"/> test images to <see cref="FocusFileName"/>. Returns the picture's path.
    /// </summary>
    public static string FromCheckpoint(string checkpointPath, string outDir, int count, EvalDataSettings data, int cell = 64, int focusImages = 512)
    {
        if (count < 1) throw new ArgumentException($"--count: expected ≥ 1 image, got {count}");
        using var run = EvaluationData.Open(checkpointPath, data);
        if (run.Trained.Encoder is not Vit vit)
            throw new ArgumentException($"{checkpointPath}: attention maps need a ViT encoder, this checkpoint's is '{run.Config.Encoder}'");
        using var twin = run.Trained.RandomInitTwin();
        var randomVit = (Vit)twin;
        var test = run.Test;
        using var scope = NewDisposeScope();
        var device = TorchRuntime.ParseDevice(run.Config.Device);
        // Both encoders see the same inputs: read and normalise them once.
        // Spread over the split, so one stored class by class is drawn and measured over all its classes.
        var images = test.Spread(count);                                              // [n, C, H, W] uint8
        var drawn = run.Stats.ToModelInput(images, device);                           // [n, C, H, W]
        var sample = run.Stats.ToModelInput(test.Spread(focusImages), device); // [m, C, H, W]
        var focus = new Dictionary<string, AttentionFocus>();
        foreach (var (name, encoder, file) in new[] { ("encoder", vit, FileName), ("random_init", randomVit, RandomInitFileName) })
        {
            encoder.to(device);
            encoder.eval();
            Save(Path.Combine(outDir, file), images, ClsAttention(encoder, drawn), cell);
            focus[name] = AttentionFocus.Of(ClsAttention(encoder, sample));
        }
        File.WriteAllText(Path.Combine(outDir, FocusFileName), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["checkpoint"] = Path.GetFullPath(checkpointPath), ["images"] = Math.Min(focusImages, test.Count),
            ["encoder"] = focus["encoder"], ["random_init"] = focus["random_init"],
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        return Path.Combine(outDir, FileName);
    }

    /// <summary>One map [h, w] as an opaque bitmap, scaled to its own range (a constant map is drawn at the low end).</summary>
    static SKBitmap HeatMap(Tensor map)
    {
        var (h, w) = ((int)map.shape[0], (int)map.shape[1]);
        var values = map.contiguous().data<float>().ToArray();
        var (lo, hi) = (values.Min(), values.Max());
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int p = 0; p < values.Length; p++)
            bitmap.SetPixel(p % w, p / w, Colour(hi > lo ? (values[p] - lo) / (hi - lo) : 0));
        return bitmap;
    }

    /// <summary>A value in [0, 1] on the heat map's colour scale.</summary>
    internal static SKColor Colour(float v)
    {
        var x = Math.Clamp(v, 0, 1) * (Stops.Length - 1);
        var i = Math.Min((int)x, Stops.Length - 2);
        var t = x - i;
        var (a, b) = (Stops[i], Stops[i + 1]);
        return new SKColor((byte)Math.Round(a.R + (b.R - a.R) * t), (byte)Math.Round(a.G + (b.G - a.G) * t), (byte)Math.Round(a.B + (b.B - a.B) * t));
    }

    static void Draw(SKCanvas canvas, SKBitmap bitmap, int x, int y, int cell)
    {
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, SKRect.Create(x, y, cell, cell), new SKSamplingOptions(SKFilterMode.Nearest), null);
    }
}
