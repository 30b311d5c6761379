using System.Globalization;
using SelfSup.Evaluation;

namespace SelfSup.Reporting;

/// <summary>
/// label_efficiency.png: test top-1 against labels per class on a log axis, one line per arm with ± std error bars.
/// ScottPlot has no log axis as such, so points sit at log10(labels per class) with ticks labelled in labels.
/// </summary>
public static class LabelEfficiencyPlot
{
    public static void Save(LabelEfficiencyResults results, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Points.Count == 0) throw new ArgumentException("label efficiency plot: no points to draw");
        var points = results.Points.OrderBy(p => p.PerClass).ToArray();
        var xs = points.Select(p => Math.Log10(p.PerClass)).ToArray();
        var plot = new ScottPlot.Plot();
        try
        {
            var palette = new ScottPlot.Palettes.Category10();
            var arms = new (string Name, Func<LabelEfficiencyPoint, ArmScore> Score)[]
            {
                ("from scratch", p => p.Scratch),
                ("linear probe (frozen)", p => p.LinearProbe),
                ("fine-tune", p => p.FineTune),
            };
            for (var i = 0; i < arms.Length; i++)
            {
                var color = palette.GetColor(i);
                var ys = points.Select(p => arms[i].Score(p).Mean).ToArray();
                var errs = points.Select(p => arms[i].Score(p).Std).ToArray();
                var line = plot.Add.Scatter(xs, ys, color);
                line.LegendText = arms[i].Name;
                line.LineWidth = 2;
                line.MarkerSize = 7;
                var bars = plot.Add.ErrorBar(xs, ys, errs);
                bars.Color = color;
            }
            plot.Axes.Bottom.SetTicks(xs, points.Select(p => p.LabelsPerClass).ToArray());
            var pad = Math.Max(0.15, 0.05 * (xs.Max() - xs.Min()));
            plot.Axes.SetLimitsX(xs.Min() - pad, xs.Max() + pad);
            plot.XLabel("labelled images per class (log scale)");
            plot.YLabel("test top-1 (%)");
            plot.Title(string.Create(CultureInfo.InvariantCulture,
                $"{results.Method ?? "pretrained"} · {results.Encoder} · {results.Dataset} ({results.Seeds.Count} seed{(results.Seeds.Count == 1 ? "" : "s")}, mean ± std)"));
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var tmp = path + ".tmp.png";
            plot.SavePng(tmp, width, height);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            plot.Dispose();
        }
    }
}
