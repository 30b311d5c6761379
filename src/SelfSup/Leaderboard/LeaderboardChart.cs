using System.Globalization;

namespace SelfSup.Leaderboard;

/// <summary>
/// The leaderboard as a picture: one horizontal bar per row with a linear-probe score (best at the top), reference
/// rows in grey, and each row's k-NN top-1 as a dot on its bar; the title says which is which (a legend would cover bars).
/// </summary>
public static class LeaderboardChart
{
    /// <summary>Draws <paramref name="rows"/> (in table order) to <paramref name="path"/>; false when no row has a linear-probe score (nothing written).</summary>
    public static bool Save(IReadOnlyList<LeaderboardRow> rows, string title, string path, int width = 900)
    {
        var scored = rows.Where(r => r.Linear is not null).Reverse().ToArray(); // bottom to top: the best ends on top
        if (scored.Length == 0) return false;
        var plot = new ScottPlot.Plot();
        try
        {
            var palette = new ScottPlot.Palettes.Category10();
            var positions = Enumerable.Range(0, scored.Length).Select(i => (double)i).ToArray();
            var bars = scored.Select((r, i) => new ScottPlot.Bar
            {
                Position = i,
                Value = r.Linear!.Value,
                FillColor = r.Reference ? ScottPlot.Colors.Gray : palette.GetColor(0),
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.Horizontal = true;
            var knn = scored.Select((r, i) => (X: r.Knn, Y: (double)i)).Where(p => p.X is not null).ToArray();
            if (knn.Length > 0)
            {
                var markers = plot.Add.Markers(knn.Select(p => p.X!.Value).ToArray(), knn.Select(p => p.Y).ToArray(), color: palette.GetColor(1));
                markers.MarkerSize = 8;
            }
            plot.Axes.Left.SetTicks(positions, scored.Select(r => r.Reference ? $"({r.Name}, {r.Encoder})" : $"{r.Name} ({r.Encoder})").ToArray());
            plot.Axes.SetLimitsY(-0.6, scored.Length - 0.4);
            var most = scored.Max(r => Math.Max(r.Linear!.Value, r.Knn ?? 0));
            plot.Axes.SetLimitsX(0, Math.Min(100, most * 1.1 + 1));
            plot.XLabel("test top-1 (%)");
            plot.Title(title);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var tmp = path + ".tmp.png";
            plot.SavePng(tmp, width, 80 + 26 * scored.Length);
            File.Move(tmp, path, overwrite: true);
            return true;
        }
        finally
        {
            plot.Dispose();
        }
    }

    /// <summary>"cifar10, 10 min per method: linear probe (bars), k-NN (dots)".</summary>
    public static string Title(string dataset, double? budgetSeconds) => budgetSeconds is { } b
        ? string.Create(CultureInfo.InvariantCulture, $"{dataset}, {b / 60:0.##} min per method: linear probe (bars), k-NN (dots)")
        : $"{dataset}: linear probe (bars), k-NN (dots)";
}
