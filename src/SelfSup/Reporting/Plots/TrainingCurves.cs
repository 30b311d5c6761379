using ScottPlot;
using SkiaSharp;

namespace SelfSup.Reporting.Plots;

/// <summary>Training curves from metrics.jsonl: one panel per field (loss, learning rate, the collapse monitors) against step.</summary>
public static class TrainingCurves
{
    /// <summary>
    /// The fields drawn, in order, when the run logged them: loss, the schedule, the per-step collapse monitor, the
    /// pretext accuracy of a pretext-task method, and the held-out monitors of <c>--monitor-every</c>.
    /// </summary>
    public static readonly IReadOnlyList<(string Field, string Label)> DefaultFields =
    [
        ("loss", "loss"),
        ("lr", "learning rate"),
        ("embedding_std", "embedding std (per dim, of L2-normalised z)"),
        ("pretext_accuracy", "pretext accuracy (training batch)"),
        ("monitor_std", "monitor: embedding std (held-out batch)"),
        ("rank_me", "monitor: RankMe (effective rank)"),
        ("alignment", "monitor: alignment"),
        ("uniformity", "monitor: uniformity"),
    ];

    /// <summary>
    /// Writes one PNG with a panel per field present in <paramref name="metrics"/>, stacked vertically (in two columns
    /// beyond three panels). Returns the fields drawn; none drawn (no per-step records) writes nothing.
    /// </summary>
    public static IReadOnlyList<string> Save(MetricsFile metrics, string path, IReadOnlyList<(string Field, string Label)>? fields = null,
        int width = 900, int panelHeight = 280)
    {
        var drawn = new List<string>();
        var panels = new List<SKBitmap>();
        try
        {
            foreach (var (field, label) in fields ?? DefaultFields)
            {
                var (steps, values) = metrics.Series(field);
                if (steps.Length == 0) continue;
                var plot = new Plot();
                var line = plot.Add.ScatterLine(steps, values);
                line.LineWidth = 1.5f;
                line.MarkerSize = steps.Length == 1 ? 5 : 0;
                plot.Title(label);
                plot.XLabel("step");
                panels.Add(PngCanvas.Decode(plot.GetImage(width, panelHeight).GetImageBytes()));
                drawn.Add(field);
            }
            if (panels.Count == 0) return drawn;
            using var tiled = PngCanvas.Tile(panels, columns: panels.Count > 3 ? 2 : 1);
            PngCanvas.Save(tiled, path);
            return drawn;
        }
        finally
        {
            foreach (var p in panels) p.Dispose();
        }
    }
}
