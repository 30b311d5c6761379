using ScottPlot;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>A 2-D layout of embeddings (t-SNE, PCA) as a scatter plot, one colour per class, legend with class names.</summary>
public static class EmbeddingScatter
{
    /// <summary>
    /// Builds the plot for <paramref name="layout"/> [N, 2] with <paramref name="labels"/> indexing
    /// <paramref name="classNames"/> (labels beyond the names are shown by number).
    /// </summary>
    public static Plot Build(Tensor layout, long[] labels, IReadOnlyList<string> classNames, string title)
    {
        if (layout.dim() != 2 || layout.shape[1] != 2)
            throw new ArgumentException($"scatter expects a [N, 2] layout, got [{string.Join(", ", layout.shape)}]");
        if (labels.Length != layout.shape[0])
            throw new ArgumentException($"scatter: {labels.Length} labels for {layout.shape[0]} points");
        using var cpu = layout.to(ScalarType.Float64).cpu().contiguous();
        var xy = cpu.data<double>().ToArray();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var c in labels.Distinct().Order())
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            var points = plot.Add.ScatterPoints(rows.Select(i => xy[2 * i]).ToArray(), rows.Select(i => xy[2 * i + 1]).ToArray());
            points.Color = palette.GetColor((int)c).WithAlpha(0.8);
            points.MarkerSize = 4;
            points.LegendText = c < classNames.Count ? classNames[(int)c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        plot.Title(title);
        plot.ShowLegend(Edge.Right);
        // Coordinates of a t-SNE map carry no units; hide the tick labels rather than suggest they do.
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        return plot;
    }

    /// <summary>Writes the plot as a PNG of the given size.</summary>
    public static void Save(string path, Tensor layout, long[] labels, IReadOnlyList<string> classNames, string title,
        int width = 900, int height = 700)
    {
        using var bitmap = PngCanvas.Decode(Build(layout, labels, classNames, title).GetImage(width, height).GetImageBytes());
        PngCanvas.Save(bitmap, path);
    }

    /// <summary>Several layouts side by side in one PNG (e.g. SSL beside random init).</summary>
    public static void SaveSideBySide(string path, IReadOnlyList<(Tensor Layout, string Title)> panels, long[] labels,
        IReadOnlyList<string> classNames, int width = 900, int height = 700)
    {
        var bitmaps = panels.Select(p => PngCanvas.Decode(Build(p.Layout, labels, classNames, p.Title).GetImage(width, height).GetImageBytes())).ToList();
        try
        {
            using var tiled = PngCanvas.Tile(bitmaps, bitmaps.Count);
            PngCanvas.Save(tiled, path);
        }
        finally
        {
            foreach (var b in bitmaps) b.Dispose();
        }
    }
}
