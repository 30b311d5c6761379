using System.Text.Json;
using SelfSup.Reporting.Plots;
using SelfSup.Runs;

namespace SelfSup.Reporting;

/// <summary>
/// One group of result files in a report: its title, the file patterns that belong to it, what writes them, and the
/// files found. An optional section (pictures only some methods make) is left out when empty instead of listed as missing.
/// </summary>
public sealed record ReportSection(string Title, IReadOnlyList<string> Patterns, string Source, IReadOnlyList<string> Files, bool Optional = false);

/// <summary>
/// What a run folder holds, gathered once for every report renderer (<see cref="RunReport"/> for Markdown,
/// <see cref="RunReportHtml"/> for a self-contained HTML page, <see cref="CompareReport"/> across runs): config,
/// metrics and their curves, results.json read against its schema, and the result files grouped into sections.
/// </summary>
public sealed class RunContent
{
    public const string CurvesFile = "curves.png";

    /// <summary>Result sections, in page order: title, the file patterns that belong to it, what writes them, whether optional.</summary>
    static readonly (string Title, string[] Patterns, string Source, bool Optional)[] SectionSpecs =
    [
        ("Evaluation", [EvaluationFile], "`selfsup eval`", false),
        ("Label efficiency", ["label_efficiency.*"], "the label-efficiency evaluation", false),
        ("Clustering", [SelfSup.Evaluation.ClusteringEvaluation.ResultFile, "clustering_*.png"], "`selfsup eval cluster`", false),
        ("Retrieval", ["retrieval.json", "retrieval_*.png"], "the retrieval evaluation", false),
        ("Robustness", ["robustness.json", "robustness_*.png"], "the robustness evaluation", false),
        ("Embedding maps", ["tsne.json", "tsne_*.png", "pca.json", "pca_*.png", "neighbours_*.png"], "`selfsup eval project`", false),
        ("Reconstructions", ["reconstructions*.png", "samples*.png", "interpolations*.png"], "`selfsup reconstruct`", true),
        ("Attention maps", ["attention*.png"], "`selfsup attention`", true),
    ];

    public const string EvaluationFile = "results.json";

    RunContent(string runDir)
    {
        RunDir = runDir;
        Name = System.IO.Path.GetFileName(System.IO.Path.GetFullPath(runDir).TrimEnd(System.IO.Path.DirectorySeparatorChar));
    }

    public string RunDir { get; }

    /// <summary>The run folder's own name, the page title.</summary>
    public string Name { get; }

    /// <summary>config.yaml verbatim; null when absent.</summary>
    public string? ConfigYaml { get; private set; }

    /// <summary>metrics.jsonl; null when absent.</summary>
    public MetricsFile? Metrics { get; private set; }

    /// <summary><see cref="CurvesFile"/> when the curves were drawn into the run folder, else null.</summary>
    public string? Curves { get; private set; }

    /// <summary>The metrics fields drawn in <see cref="Curves"/>.</summary>
    public IReadOnlyList<string> CurveFields { get; private set; } = [];

    /// <summary>results.json read against its schema; null when absent or written by something else.</summary>
    public EvaluationResults? Evaluation { get; private set; }

    /// <summary>The result sections, in page order; the last ("Other results", optional) holds any other *.json or *.png.</summary>
    public IReadOnlyList<ReportSection> Sections { get; private set; } = [];

    /// <summary>Files shown, in page order.</summary>
    public IReadOnlyList<string> Included { get; private set; } = [];

    /// <summary>The first pattern of each expected file or group that was not found.</summary>
    public IReadOnlyList<string> Missing { get; private set; } = [];

    /// <summary>The full path of a file of the run folder.</summary>
    public string PathOf(string file) => System.IO.Path.Combine(RunDir, file);

    /// <summary>
    /// Reads what <paramref name="runDir"/> holds. With <paramref name="drawCurves"/>, the training curves are drawn
    /// from metrics.jsonl into runDir/curves.png.
    /// </summary>
    public static RunContent Gather(string runDir, bool drawCurves = true)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: run folder not found");
        var content = new RunContent(runDir);
        var included = new List<string>();
        var missing = new List<string>();

        var config = content.PathOf("config.yaml");
        if (File.Exists(config))
        {
            content.ConfigYaml = File.ReadAllText(config);
            included.Add("config.yaml");
        }
        else missing.Add("config.yaml");

        var metrics = content.PathOf("metrics.jsonl");
        if (File.Exists(metrics))
        {
            content.Metrics = MetricsFile.Read(metrics);
            included.Add("metrics.jsonl");
            if (drawCurves)
            {
                content.CurveFields = TrainingCurves.Save(content.Metrics, content.PathOf(CurvesFile));
                if (content.CurveFields.Count > 0)
                {
                    content.Curves = CurvesFile;
                    included.Add(CurvesFile);
                }
            }
        }
        else missing.Add("metrics.jsonl");

        content.Evaluation = ReadEvaluation(content.PathOf(EvaluationFile));

        var shown = new HashSet<string>(StringComparer.Ordinal) { "config.yaml", "metrics.jsonl", CurvesFile };
        var sections = new List<ReportSection>();
        foreach (var (title, patterns, source, optional) in SectionSpecs)
        {
            // Pattern order first (numbers before pictures), names in order within a pattern.
            var files = patterns.SelectMany(p => Directory.GetFiles(runDir, p).Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
                .Where(f => !shown.Contains(f) && !f.EndsWith(".tmp", StringComparison.Ordinal)).Distinct().ToList();
            if (files.Count == 0 && optional) continue;
            if (files.Count == 0) missing.Add(patterns[0]);
            sections.Add(new ReportSection(title, patterns, source, files, optional));
            included.AddRange(files);
            shown.UnionWith(files);
        }
        var others = Directory.GetFiles(runDir).Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(f => (f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) && !shown.Contains(f))
            .Order(StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            sections.Add(new ReportSection("Other results", ["*.json", "*.png"], "other commands", others, Optional: true));
            included.AddRange(others);
        }
        content.Sections = sections;
        content.Included = included;
        content.Missing = missing;
        return content;
    }

    /// <summary>The last per-step record of metrics.jsonl as a one-row table; null without per-step records.</summary>
    public ReportTable? FinalStep()
    {
        var last = Metrics?.Steps.LastOrDefault();
        return last is null ? null : new ReportTable(null, last.Keys.ToList(), [last.Values.Select(ReportTable.Number).ToList()]);
    }

    /// <summary>The last <paramref name="max"/> per-epoch records of metrics.jsonl; null without any.</summary>
    public ReportTable? Epochs(int max = 20)
    {
        var epochs = Metrics?.Epochs.ToList() ?? [];
        if (epochs.Count == 0) return null;
        var columns = epochs.SelectMany(e => e.Keys).Distinct().ToList();
        return new ReportTable(null, columns,
            epochs.TakeLast(max).Select(e => (IReadOnlyList<string>)columns.Select(c => e.TryGetValue(c, out var v) ? ReportTable.Number(v) : "").ToList()).ToList());
    }

    static EvaluationResults? ReadEvaluation(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return EvaluationResults.Load(path);
        }
        catch (JsonException)
        {
            return null; // not results.json of `selfsup eval`: the section still shows it as generic tables
        }
    }
}
