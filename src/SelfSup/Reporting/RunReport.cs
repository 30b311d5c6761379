using System.Globalization;
using System.Text;
using System.Text.Json;
using SelfSup.Reporting.Plots;

namespace SelfSup.Reporting;

/// <summary>What <see cref="RunReport.Write"/> produced: the page, the files it shows, and the expected ones it did not find.</summary>
public sealed record RunReportResult(string Path, IReadOnlyList<string> Included, IReadOnlyList<string> Missing);

/// <summary>
/// One Markdown page (report.md) for a run folder: configuration, training curves and final metrics, and every result
/// file and picture other commands wrote there. Sections follow the files present; the missing ones are listed.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.md";
    public const string CurvesFile = "curves.png";

    /// <summary>Result sections, in page order: title, the file patterns that belong to it, and what writes them.</summary>
    static readonly (string Title, string[] Patterns, string Source)[] Sections =
    [
        ("Evaluation", ["results.json"], "`selfsup eval`"),
        ("Label efficiency", ["label_efficiency.*"], "the label-efficiency evaluation"),
        ("Clustering", [Evaluation.ClusteringEvaluation.ResultFile, "clustering_*.png"], "`selfsup eval cluster`"),
        ("Retrieval", ["retrieval.json", "retrieval_*.png"], "the retrieval evaluation"),
        ("Robustness", ["robustness.json", "robustness_*.png"], "the robustness evaluation"),
        ("Embedding maps", ["tsne.json", "tsne_*.png", "pca.json", "pca_*.png", "neighbours_*.png"], "`selfsup eval project`"),
    ];

    /// <summary>Writes runDir/report.md (and runDir/curves.png from metrics.jsonl when it has per-step records).</summary>
    public static RunReportResult Write(string runDir)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: run folder not found");
        var included = new List<string>();
        var missing = new List<string>();
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Run report: {Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar))}").AppendLine();
        md.AppendLine("Gathered by `selfsup report` from the files in this folder.").AppendLine();

        Configuration(runDir, md, included, missing);
        Training(runDir, md, included, missing);
        var shown = new HashSet<string>(StringComparer.Ordinal) { "config.yaml", "metrics.jsonl", CurvesFile, FileName };
        foreach (var (title, patterns, source) in Sections)
        {
            // Pattern order first (numbers before pictures), names in order within a pattern.
            var files = patterns.SelectMany(p => Directory.GetFiles(runDir, p).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
                .Distinct().ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"## {title}").AppendLine();
            if (files.Count == 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Missing: no {string.Join(" or ", patterns.Select(p => $"`{p}`"))} (written by {source}).").AppendLine();
                missing.Add(patterns[0]);
                continue;
            }
            foreach (var f in files) AppendFile(runDir, f, md);
            included.AddRange(files);
            shown.UnionWith(files);
        }

        var others = Directory.GetFiles(runDir).Select(Path.GetFileName).OfType<string>()
            .Where(f => (f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) && !shown.Contains(f))
            .Order(StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            md.AppendLine("## Other results").AppendLine();
            foreach (var f in others) AppendFile(runDir, f, md);
            included.AddRange(others);
        }

        md.AppendLine("## Missing").AppendLine();
        md.AppendLine(missing.Count == 0 ? "Nothing: every expected file is present." : string.Join("\n", missing.Select(m => $"- `{m}`"))).AppendLine();
        var path = Path.Combine(runDir, FileName);
        File.WriteAllText(path, md.ToString());
        return new RunReportResult(path, included, missing);
    }

    static void Configuration(string runDir, StringBuilder md, List<string> included, List<string> missing)
    {
        md.AppendLine("## Configuration").AppendLine();
        var config = Path.Combine(runDir, "config.yaml");
        if (!File.Exists(config))
        {
            md.AppendLine("Missing: no `config.yaml` (written by `selfsup pretrain`).").AppendLine();
            missing.Add("config.yaml");
            return;
        }
        md.AppendLine("```yaml").AppendLine(File.ReadAllText(config).TrimEnd()).AppendLine("```").AppendLine();
        included.Add("config.yaml");
    }

    static void Training(string runDir, StringBuilder md, List<string> included, List<string> missing)
    {
        md.AppendLine("## Training").AppendLine();
        var path = Path.Combine(runDir, "metrics.jsonl");
        if (!File.Exists(path))
        {
            md.AppendLine("Missing: no `metrics.jsonl` (written by `selfsup pretrain`).").AppendLine();
            missing.Add("metrics.jsonl");
            return;
        }
        var metrics = MetricsFile.Read(path);
        included.Add("metrics.jsonl");
        var last = metrics.Steps.LastOrDefault();
        if (last is null)
        {
            md.AppendLine("`metrics.jsonl` holds no per-step records yet.").AppendLine();
            return;
        }
        md.AppendLine("Final step:").AppendLine();
        md.AppendLine("| " + string.Join(" | ", last.Keys) + " |");
        md.AppendLine("|" + string.Concat(last.Keys.Select(_ => "---|")));
        md.AppendLine("| " + string.Join(" | ", last.Values.Select(Number)) + " |").AppendLine();
        var epochs = metrics.Epochs.ToList();
        if (epochs.Count > 0)
        {
            var columns = epochs.SelectMany(e => e.Keys).Distinct().ToList();
            md.AppendLine(epochs.Count > 20 ? "Epochs (last 20):" : "Epochs:").AppendLine();
            md.AppendLine("| " + string.Join(" | ", columns) + " |");
            md.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
            foreach (var e in epochs.TakeLast(20))
                md.AppendLine("| " + string.Join(" | ", columns.Select(c => e.TryGetValue(c, out var v) ? Number(v) : "")) + " |");
            md.AppendLine();
        }
        var drawn = TrainingCurves.Save(metrics, Path.Combine(runDir, CurvesFile));
        if (drawn.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"![training curves: {string.Join(", ", drawn)}]({CurvesFile})").AppendLine();
            included.Add(CurvesFile);
        }
    }

    static void AppendFile(string runDir, string file, StringBuilder md)
    {
        if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"![{file}]({Uri.EscapeDataString(file)})").AppendLine();
            return;
        }
        md.AppendLine(CultureInfo.InvariantCulture, $"`{file}`:").AppendLine();
        var path = Path.Combine(runDir, file);
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                md.AppendLine(JsonTables.ToMarkdown(doc.RootElement));
            }
            catch (JsonException e)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Unreadable: not valid JSON ({e.Message}).").AppendLine();
            }
        }
        else if (file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            md.AppendLine("```").AppendLine(File.ReadAllText(path).TrimEnd()).AppendLine("```").AppendLine();
        }
        else
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"[{file}]({Uri.EscapeDataString(file)})").AppendLine();
        }
    }

    static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
