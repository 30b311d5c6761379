using System.Globalization;
using ScottPlot;
using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>
/// Pictures of a PCA fit: the cumulative explained-variance curve, and the leading principal axes drawn as images
/// (each axis is a direction in pixel space, so it has the shape of an image).
/// </summary>
public static class PcaPictures
{
    /// <summary>
    /// Writes the share of variance explained by the first k components against k (cumulative, 0–1) with each
    /// component's own share beneath it, from <paramref name="ratios"/> (λᵢ / trace C, descending).
    /// </summary>
    public static void SaveExplainedVariance(IReadOnlyList<double> ratios, string path, int width = 800, int height = 450)
    {
        if (ratios.Count == 0) throw new ArgumentException("explained variance plot: no components to draw");
        var ks = Enumerable.Range(1, ratios.Count).Select(k => (double)k).ToArray();
        var cumulative = new double[ratios.Count];
        for (int i = 0; i < ratios.Count; i++) cumulative[i] = (i > 0 ? cumulative[i - 1] : 0) + ratios[i];
        using var plot = new Plot();
        var total = plot.Add.ScatterLine(ks, cumulative);
        total.LegendText = "cumulative";
        total.LineWidth = 2;
        var each = plot.Add.ScatterLine(ks, ratios.ToArray());
        each.LegendText = "per component";
        each.LineWidth = 1.5f;
        plot.Axes.SetLimitsY(0, 1.02);
        plot.XLabel("components k");
        plot.YLabel("share of the total variance");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"PCA: {ratios.Count} components explain {100 * cumulative[^1]:F1} % of the variance"));
        plot.ShowLegend(Alignment.MiddleRight);
        using var bitmap = PngCanvas.Decode(plot.GetImage(width, height).GetImageBytes());
        PngCanvas.Save(bitmap, path);
    }

    /// <summary>
    /// Writes the first <paramref name="count"/> axes of <paramref name="components"/> [k, C, H, W] as images in a grid
    /// of <paramref name="columns"/> columns, each <paramref name="cell"/> pixels wide (nearest neighbour). Each axis is
    /// scaled by its largest magnitude: mid grey is 0, white the most positive loading, black the most negative.
    /// </summary>
    public static void SaveComponents(Tensor components, string path, int count = 16, int columns = 8, int cell = 64)
    {
        if (components.dim() != 4 || (components.shape[1] != 1 && components.shape[1] != 3))
            throw new ArgumentException($"component picture expects [k, 1 or 3, H, W], got [{string.Join(", ", components.shape)}]");
        if (count < 1 || columns < 1 || cell < 1)
            throw new ArgumentException($"component picture: count, columns and cell must be ≥ 1, got {count}, {columns}, {cell}");
        const int gap = 4;
        var n = (int)Math.Min(count, components.shape[0]);
        var bytes = ToBytes(components.narrow(0, 0, n));                   // [n, C, H, W] uint8
        var panels = new List<SKBitmap>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                using var image = bytes[i];
                using var small = NeighbourGrid.ToBitmap(image);
                var panel = new SKBitmap(new SKImageInfo(cell + 2 * gap, cell + 2 * gap, SKColorType.Rgba8888, SKAlphaType.Premul));
                panels.Add(panel);
                using var canvas = new SKCanvas(panel);
                canvas.Clear(SKColors.White);
                using var skImage = SKImage.FromBitmap(small);
                canvas.DrawImage(skImage, SKRect.Create(gap, gap, cell, cell), new SKSamplingOptions(SKFilterMode.Nearest), null);
            }
            using var tiled = PngCanvas.Tile(panels, columns);
            PngCanvas.Save(tiled, path);
        }
        finally
        {
            bytes.Dispose();
            foreach (var p in panels) p.Dispose();
        }
    }

    /// <summary>Axes [n, C, H, W] → uint8 [n, C, H, W] on the CPU, 128 + 127·v/max|v| per axis.</summary>
    static Tensor ToBytes(Tensor axes)
    {
        using var scope = NewDisposeScope();
        var x = axes.to(ScalarType.Float32).cpu();
        var peak = x.abs().amax([1, 2, 3], keepdim: true).clamp_min(1e-12); // [n, 1, 1, 1]
        return (x / peak * 127 + 128).round().clamp(0, 255).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}
