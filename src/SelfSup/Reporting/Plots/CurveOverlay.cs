using ScottPlot;

namespace SelfSup.Reporting.Plots;

/// <summary>One metrics field of several runs drawn on one set of axes, a coloured line and legend entry per run.</summary>
public static class CurveOverlay
{
    /// <summary>
    /// PNG bytes of <paramref name="field"/> against step (or, for <c>epoch_loss</c>, against epoch) for every run that
    /// logged it; null when none did.
    /// </summary>
    public static byte[]? Render(IReadOnlyList<(string Name, MetricsFile Metrics)> runs, string field, string title, int width = 1000, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var perEpoch = field == "epoch_loss";
        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var drawn = 0;
        for (var i = 0; i < runs.Count; i++)
        {
            var (xs, ys) = perEpoch ? EpochSeries(runs[i].Metrics, field) : runs[i].Metrics.Series(field);
            if (xs.Length == 0) continue;
            var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(i));
            line.LineWidth = perEpoch ? 2 : 1;
            line.MarkerSize = perEpoch || xs.Length == 1 ? 5 : 0;
            line.LegendText = runs[i].Name;
            drawn++;
        }
        if (drawn == 0) return null;
        plot.Title(title);
        plot.XLabel(perEpoch ? "epoch" : "step");
        if (perEpoch) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImage(width, height).GetImageBytes();
    }

    static (double[] X, double[] Y) EpochSeries(MetricsFile metrics, string field)
    {
        var rows = metrics.Epochs.Where(r => r.ContainsKey(field)).ToArray();
        return (rows.Select((r, i) => r.TryGetValue("epoch", out var e) ? e : i + 1).ToArray(), rows.Select(r => r[field]).ToArray());
    }
}
