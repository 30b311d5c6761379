using System.Globalization;
using System.Text;
using SelfSup.Evaluation;
using SelfSup.Methods;

namespace SelfSup.Leaderboard;

/// <summary>
/// docs/leaderboard.md: one table per dataset built from the committed result files
/// (docs/results/leaderboard-DATASET-METHOD.json) and a chart per dataset in docs/images. Every number links the
/// file it comes from; methods without a file are listed as not yet measured, so the page never shows a number that
/// was not measured.
/// </summary>
public static class LeaderboardPage
{
    /// <summary>Datasets with a section even before any result exists (the protocol's two defaults).</summary>
    public static readonly IReadOnlyList<string> DefaultDatasets = ["cifar10", "pneumoniamnist"];

    /// <summary>The committed name of a method's result file: leaderboard-DATASET-METHOD.json.</summary>
    public static string ResultFileName(string data, string method) => $"leaderboard-{LeaderboardRun.DatasetKey(data)}-{method}.json";

    /// <summary>The dataset's chart, relative to the docs folder.</summary>
    public static string ChartPath(string data) => $"images/leaderboard-{LeaderboardRun.DatasetKey(data)}.png";

    /// <summary>
    /// Reads every leaderboard result file under <paramref name="docsDir"/>/results, draws the charts and writes
    /// <paramref name="docsDir"/>/leaderboard.md; returns the page's path.
    /// </summary>
    public static string Write(string docsDir, IReadOnlyList<MethodInfo> methods)
    {
        var resultsDir = Path.Combine(docsDir, "results");
        var files = Directory.Exists(resultsDir)
            ? Directory.EnumerateFiles(resultsDir, "leaderboard-*.json").Order(StringComparer.Ordinal)
                .Select(f => (LeaderboardResultFile.Load(f).Entry, Link: "results/" + Path.GetFileName(f))).ToList()
            : [];
        var charts = new Dictionary<string, string>();
        foreach (var group in files.GroupBy(f => LeaderboardRun.DatasetKey(f.Entry.Dataset)))
        {
            var chart = ChartPath(group.Key);
            var budget = group.Select(f => f.Entry.Plan?.BudgetSeconds).FirstOrDefault(b => b is not null);
            if (LeaderboardChart.Save(LeaderboardTable.Rows(group), LeaderboardChart.Title(group.Key, budget), Path.Combine(docsDir, chart)))
                charts[group.Key] = chart;
        }
        var path = Path.Combine(docsDir, "leaderboard.md");
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, Markdown(files, methods, charts, LeaderboardInvestigation.LoadAll(resultsDir)));
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    /// <param name="files">Every leaderboard row with its link relative to the page.</param>
    /// <param name="methods">The registered methods (image methods without a row are listed as not yet measured).</param>
    /// <param name="charts">Chart path per dataset key, relative to the page.</param>
    /// <param name="investigations">Why methods score below their twins (docs/results/investigation-*.json).</param>
    public static string Markdown(IReadOnlyList<(LeaderboardEntry Entry, string Link)> files, IReadOnlyList<MethodInfo> methods,
        IReadOnlyDictionary<string, string>? charts = null, IReadOnlyList<LeaderboardInvestigation>? investigations = null)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Leaderboard");
        sb.AppendLine();
        sb.AppendLine("Every registered image method under one protocol per dataset, written by `selfsup bench methods` (protocol, flags");
        sb.AppendLine("and resuming: [bench/README.md](../bench/README.md#leaderboard--selfsup-bench-methods)). This page is generated from the result files");
        sb.AppendLine("`docs/results/leaderboard-*.json`, and every number links the file it comes from. Each method pretrains for the");
        sb.AppendLine("same wall time with its own recipe (`selfsup methods NAME`): a short calibration run measures its seconds per step,");
        sb.AppendLine("and the run is sized so that its whole learning-rate schedule ends within the budget — whole epochs, or one epoch");
        sb.AppendLine("more over a seeded subset when whole epochs would leave much of the budget unused. Methods that need a ViT (MAE,");
        sb.AppendLine("BEiT, I-JEPA, iBOT) train the small ViT of [the method docs](methods.md), the others one CNN; each row names its");
        sb.AppendLine("encoder. Scores are test top-1 (%): k-NN (k 20, T 0.07) and a linear probe on frozen features of the whole train");
        sb.AppendLine("split, and fine-tuning on a few labels per class (mean ± std over seeds when there are several). Reference rows (in");
        sb.AppendLine("italics) come from the same evaluations: the random-init encoder with re-estimated BatchNorm statistics, raw");
        sb.AppendLine("pixels, and supervised training from scratch on the fine-tuning subsets; PCA is the closed-form floor. Each method");
        sb.AppendLine("is compared with its own starting point: SimCLR, SimSiam, Barlow Twins and VICReg start a ResNet with every");
        sb.AppendLine("residual branch's last BatchNorm at γ = 0 (`zero_init_residual`, as their reference code), so their random-init twin differs");
        sb.AppendLine("from the other methods' on the same encoder. The random-init row shows one encoder's twin (from the method it");
        sb.AppendLine("names); every method's own twin is under `random_init` in its result file. A method that scores below its own");
        sb.AppendLine("twin says so in its row, with what its investigation found (more seeds, a longer budget, one recipe change at a");
        sb.AppendLine("time; the reruns are in `docs/results/investigation-*.json`) or that it has not been investigated.");
        var keys = DefaultDatasets.Concat(files.Select(f => LeaderboardRun.DatasetKey(f.Entry.Dataset))).Distinct().ToList();
        foreach (var key in keys)
        {
            var mine = files.Where(f => LeaderboardRun.DatasetKey(f.Entry.Dataset) == key).ToList();
            sb.AppendLine();
            sb.AppendLine(c, $"## {key}");
            sb.AppendLine();
            var budget = mine.Select(f => f.Entry.Plan?.BudgetSeconds).FirstOrDefault(b => b is not null);
            var minutes = budget is { } b ? b / 60 : BenchProtocol.DefaultMinutes(key);
            if (minutes is { } m)
            {
                sb.AppendLine(c, $"Budget: {m:0.##} min of pretraining per method.");
                sb.AppendLine();
            }
            var rows = LeaderboardTable.Rows(mine);
            if (rows.Count == 0) sb.AppendLine("Not yet measured: no result files for this dataset.");
            else
            {
                if (charts?.TryGetValue(key, out var chart) == true)
                {
                    sb.AppendLine(c, $"![{key} leaderboard: linear probe and k-NN top-1 per method]({chart})");
                    sb.AppendLine();
                }
                var found = (investigations ?? []).Where(i => LeaderboardRun.DatasetKey(i.Dataset) == key).ToList();
                AppendTable(sb, rows, auroc: rows.Any(r => r.LinearAuroc is not null || r.FineTuneAuroc is not null), found);
            }
            var unranked = mine.Where(f => f.Entry.Status != EntryStatus.Done).OrderBy(f => f.Entry.Method, StringComparer.Ordinal).ToList();
            if (unranked.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("Not ranked:");
                sb.AppendLine();
                sb.AppendLine("| method | status | reason | result |");
                sb.AppendLine("|---|---|---|---|");
                foreach (var (e, link) in unranked)
                    sb.AppendLine(c, $"| {e.Method} | {e.Status} | {Cell(e.Error ?? "")} | [{Path.GetFileName(link)}]({link}) |");
            }
            var missing = methods.Where(mi => !mi.IsText && !mine.Any(f => f.Entry.Method.Equals(mi.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(mi => mi.Name).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0 && rows.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine(c, $"Not yet measured: {string.Join(", ", missing)}.");
            }
        }
        return sb.ToString();
    }

    static void AppendTable(StringBuilder sb, IReadOnlyList<LeaderboardRow> rows, bool auroc, IReadOnlyList<LeaderboardInvestigation> investigations)
    {
        var c = CultureInfo.InvariantCulture;
        var ftHeader = rows.FirstOrDefault(r => r.Name.StartsWith("supervised", StringComparison.Ordinal)) is { } s
            ? "FT@" + s.Name.Split(", ")[1] : "FT (few labels)";
        sb.AppendLine(c, $"| # | method | family | encoder | budget | steps | k-NN | linear | {ftHeader} |{(auroc ? " AUROC linear / FT |" : "")} result |");
        sb.AppendLine(c, $"|---|---|---|---|---|---|---|---|---|{(auroc ? "---|" : "")}---|");
        var rank = 0;
        foreach (var r in rows)
        {
            var name = r.Reference ? $"*{r.Name}*" : r.Name;
            if (r.Note is { } note) name += $" <sub>{Cell(note)}</sub>";
            if (r.BelowTwin() is { Count: > 0 } below) name += "<br><sub>" + Cell(BelowTwinNote(r.Name, below, investigations)) + "</sub>";
            var position = r.Reference ? "" : (++rank).ToString(c);
            var aurocCell = auroc ? $" {Number(r.LinearAuroc, r.Link)} / {Score(r.FineTuneAuroc, r.Link)} |" : "";
            sb.AppendLine(c, $"| {position} | {name} | {r.Family} | {Cell(r.Encoder)} | {Cell(r.Budget)} | {Cell(r.Steps)} | {Number(r.Knn, r.Link)} | {Number(r.Linear, r.Link)} | {Score(r.FineTune, r.Link)} |{aurocCell} [{Path.GetFileName(r.Link)}]({r.Link}) |");
        }
    }

    /// <summary>The row's account of scoring below its random-init twin: the investigation's finding and link, or that there is none.</summary>
    static string BelowTwinNote(string method, IReadOnlyList<string> below, IReadOnlyList<LeaderboardInvestigation> investigations)
    {
        var head = $"**below its random-init twin** ({string.Join(", ", below)}): ";
        var found = investigations.FirstOrDefault(i => i.Method.Equals(method, StringComparison.OrdinalIgnoreCase));
        return found is null ? head + "not investigated yet." : head + $"{found.Finding} ([investigation]({found.Link}))";
    }

    static string Number(double? value, string link) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"[{v:F2}]({link})") : "—";

    static string Score(ArmScore? score, string link)
    {
        if (score is null) return "—";
        var c = CultureInfo.InvariantCulture;
        return score.Runs.Count > 1 ? string.Create(c, $"[{score.Mean:F2} ± {score.Std:F2}]({link})") : string.Create(c, $"[{score.Mean:F2}]({link})");
    }

    static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
