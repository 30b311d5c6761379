using SkiaSharp;

namespace SelfSup.Reporting.Plots;

/// <summary>Small SkiaSharp helpers shared by the picture writers: placing rendered panels side by side and saving PNGs.</summary>
public static class PngCanvas
{
    /// <summary>Writes <paramref name="bitmap"/> as a PNG, creating the folder; the file is replaced whole (temporary file + rename).</summary>
    public static void Save(SKBitmap bitmap, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"{path}: PNG encoding failed");
        var temp = full + ".tmp";
        using (var file = File.Create(temp)) png.SaveTo(file);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Decodes PNG bytes (e.g. a ScottPlot rendering) into a bitmap.</summary>
    public static SKBitmap Decode(byte[] png) =>
        SKBitmap.Decode(png) ?? throw new InvalidDataException("rendered panel is not a decodable PNG");

    /// <summary>Panels placed in a grid of <paramref name="columns"/> columns (row-major), on white.</summary>
    public static SKBitmap Tile(IReadOnlyList<SKBitmap> panels, int columns)
    {
        if (panels.Count == 0) throw new ArgumentException("no panels to place");
        if (columns <= 0) throw new ArgumentException($"columns must be positive, got {columns}");
        var rows = (panels.Count + columns - 1) / columns;
        var cellW = panels.Max(p => p.Width);
        var cellH = panels.Max(p => p.Height);
        var result = new SKBitmap(new SKImageInfo(cellW * Math.Min(columns, panels.Count), cellH * rows, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.Clear(SKColors.White);
        for (var i = 0; i < panels.Count; i++)
            canvas.DrawBitmap(panels[i], (i % columns) * cellW, (i / columns) * cellH);
        return result;
    }
}
