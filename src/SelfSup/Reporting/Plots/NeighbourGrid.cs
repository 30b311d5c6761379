using SelfSup.Data;
using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>
/// Nearest-neighbour retrievals as a picture: one row per query, the query image first, then its top-k gallery images
/// framed green when they share the query's label and red when they do not.
/// </summary>
public static class NeighbourGrid
{
    static readonly SKColor Same = new(0x2c, 0xa0, 0x2c);
    static readonly SKColor Different = new(0xd6, 0x27, 0x28);
    static readonly SKColor Query = new(0x55, 0x55, 0x55);

    /// <summary>
    /// Indices [Q, k] of the k gallery rows most cosine-similar to each query row. With <paramref name="excludeSelf"/>,
    /// query i is row i of the gallery and never retrieves itself.
    /// </summary>
    public static long[][] CosineNeighbours(Tensor queries, Tensor gallery, int k, bool excludeSelf = false)
    {
        if (k <= 0 || k > gallery.shape[0] - (excludeSelf ? 1 : 0))
            throw new ArgumentException($"k must be in [1, {gallery.shape[0] - (excludeSelf ? 1 : 0)}], got {k}");
        using var scope = NewDisposeScope();
        var q = nn.functional.normalize(queries.to(ScalarType.Float32), dim: 1); // [Q, D]
        var g = nn.functional.normalize(gallery.to(ScalarType.Float32).to(q.device), dim: 1); // [G, D]
        var sim = q.matmul(g.t()); // [Q, G]
        if (excludeSelf)
        {
            var self = arange(q.shape[0], dtype: ScalarType.Int64, device: q.device).unsqueeze(1); // [Q, 1]
            sim.scatter_(1, self, full([q.shape[0], 1], float.NegativeInfinity, device: q.device));
        }
        var top = sim.topk(k, 1).indexes.cpu().contiguous(); // [Q, k]
        var flat = top.data<long>().ToArray();
        return Enumerable.Range(0, (int)top.shape[0]).Select(r => flat.AsSpan(r * k, k).ToArray()).ToArray();
    }

    /// <summary>
    /// Writes the grid: row r shows <paramref name="queries"/>[queryRows[r]] and <paramref name="gallery"/>[neighbours[r][..]],
    /// each image scaled to <paramref name="cell"/> pixels (nearest-neighbour, so small images stay crisp).
    /// </summary>
    public static void Save(string path, ImageDataset queries, IReadOnlyList<long> queryRows, ImageDataset gallery,
        IReadOnlyList<long[]> neighbours, int cell = 64)
    {
        if (queryRows.Count == 0) throw new ArgumentException("neighbour grid: no queries");
        if (neighbours.Count != queryRows.Count)
            throw new ArgumentException($"neighbour grid: {queryRows.Count} queries but {neighbours.Count} neighbour lists");
        if (queries.Labels is null || gallery.Labels is null)
            throw new ArgumentException($"neighbour grid needs labels on '{queries.Name}' and '{gallery.Name}' to mark matches");
        const int border = 4, gap = 6, separator = 16;
        var k = neighbours.Max(n => n.Length);
        var pitch = cell + 2 * border + gap;
        var width = gap + pitch + separator + k * pitch;
        var height = gap + queryRows.Count * pitch;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            for (var r = 0; r < queryRows.Count; r++)
            {
                var y = gap + r * pitch;
                var label = queries.Labels[queryRows[r]];
                DrawCell(canvas, queries, queryRows[r], gap, y, cell, border, Query);
                for (var j = 0; j < neighbours[r].Length; j++)
                {
                    var row = neighbours[r][j];
                    var colour = gallery.Labels[row] == label ? Same : Different;
                    DrawCell(canvas, gallery, row, gap + pitch + separator + j * pitch, y, cell, border, colour);
                }
            }
        }
        PngCanvas.Save(bitmap, path);
    }

    static void DrawCell(SKCanvas canvas, ImageDataset data, long row, int x, int y, int cell, int border, SKColor frame)
    {
        if (row < 0 || row >= data.Count) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside '{data.Name}' ({data.Count} images)");
        using var paint = new SKPaint { Color = frame, Style = SKPaintStyle.Fill };
        canvas.DrawRect(x, y, cell + 2 * border, cell + 2 * border, paint);
        using var rows = data.Range(row, 1); // [1, C, H, W]
        using var pixels = rows[0];
        using var image = ToBitmap(pixels);
        using var skImage = SKImage.FromBitmap(image);
        canvas.DrawImage(skImage, SKRect.Create(x + border, y + border, cell, cell), new SKSamplingOptions(SKFilterMode.Nearest), null);
    }

    /// <summary>One uint8 image [C, H, W] (C = 1 or 3) as an opaque RGBA bitmap.</summary>
    internal static SKBitmap ToBitmap(Tensor image)
    {
        if (image.dtype != ScalarType.Byte || image.dim() != 3 || (image.shape[0] != 1 && image.shape[0] != 3))
            throw new ArgumentException($"expected a uint8 [1 or 3, H, W] image, got {image.dtype} [{string.Join(", ", image.shape)}]");
        var (c, h, w) = ((int)image.shape[0], (int)image.shape[1], (int)image.shape[2]);
        using var hwc = image.permute(1, 2, 0).contiguous().cpu(); // [H, W, C]
        var pixels = hwc.data<byte>().ToArray();
        var rgba = new byte[h * w * 4];
        for (var p = 0; p < h * w; p++)
        {
            rgba[4 * p] = pixels[p * c];
            rgba[4 * p + 1] = pixels[p * c + (c == 3 ? 1 : 0)];
            rgba[4 * p + 2] = pixels[p * c + (c == 3 ? 2 : 0)];
            rgba[4 * p + 3] = 255;
        }
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
