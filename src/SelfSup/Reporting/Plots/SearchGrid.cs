using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>One cell of a <see cref="SearchGrid"/>: a uint8 image [C, H, W], the line under it, and whether its label matches the query's (null: unknown).</summary>
public sealed record SearchGridCell(Tensor Image, string Caption, bool? SameLabel = null);

/// <summary>
/// Similar-image search results as a picture: one row per query, the query image first (grey frame), then its
/// neighbours best first, each with its caption (score, label) underneath; a neighbour's frame is green when its label
/// matches the query's, red when it does not, blue when the query has no label. Images are scaled to
/// <c>cell</c> pixels with nearest-neighbour sampling, as <see cref="NeighbourGrid"/> draws them.
/// </summary>
public static class SearchGrid
{
    static readonly SKColor Same = new(0x2c, 0xa0, 0x2c);
    static readonly SKColor Different = new(0xd6, 0x27, 0x28);
    static readonly SKColor Unknown = new(0x1f, 0x77, 0xb4);
    static readonly SKColor Query = new(0x55, 0x55, 0x55);

    /// <summary>Writes rows of (query, neighbours) to <paramref name="path"/> as a PNG.</summary>
    public static void Save(string path, IReadOnlyList<(SearchGridCell Query, IReadOnlyList<SearchGridCell> Neighbours)> rows, int cell = 96)
    {
        if (rows.Count == 0) throw new ArgumentException("search grid: no queries");
        if (cell < 8) throw new ArgumentException($"search grid: cell must be at least 8 pixels, got {cell}");
        const int border = 4, gap = 6, separator = 16;
        var textSize = Math.Clamp(cell / 6f, 10f, 16f);
        var captionHeight = (int)MathF.Ceiling(textSize * 1.6f);
        var k = Math.Max(1, rows.Max(r => r.Neighbours.Count));
        var pitch = cell + 2 * border + gap;
        var width = gap + pitch + separator + k * pitch;
        var rowHeight = cell + 2 * border + captionHeight + gap;
        var height = gap + rows.Count * rowHeight;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var font = new SKFont(SKTypeface.Default, textSize))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            for (var r = 0; r < rows.Count; r++)
            {
                var y = gap + r * rowHeight;
                var (query, neighbours) = rows[r];
                Draw(canvas, font, ink, query, gap, y, cell, border, Query);
                for (var j = 0; j < neighbours.Count; j++)
                {
                    var n = neighbours[j];
                    var frame = n.SameLabel switch { true => Same, false => Different, null => Unknown };
                    Draw(canvas, font, ink, n, gap + pitch + separator + j * pitch, y, cell, border, frame);
                }
            }
        }
        PngCanvas.Save(bitmap, path);
    }

    static void Draw(SKCanvas canvas, SKFont font, SKPaint ink, SearchGridCell cell, int x, int y, int size, int border, SKColor frame)
    {
        using (var paint = new SKPaint { Color = frame, Style = SKPaintStyle.Fill })
            canvas.DrawRect(x, y, size + 2 * border, size + 2 * border, paint);
        using (var image = NeighbourGrid.ToBitmap(cell.Image))
        using (var skImage = SKImage.FromBitmap(image))
            canvas.DrawImage(skImage, SKRect.Create(x + border, y + border, size, size), new SKSamplingOptions(SKFilterMode.Nearest), null);
        var caption = cell.Caption;
        var room = size + 2 * border;
        while (caption.Length > 1 && font.MeasureText(caption) > room) caption = caption[..^2] + "…";
        canvas.DrawText(caption, x + room / 2f, y + room + font.Size * 1.2f, SKTextAlign.Center, font, ink);
    }
}
