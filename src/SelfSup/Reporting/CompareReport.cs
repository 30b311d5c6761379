using SelfSup.Reporting.Plots;
using YamlDotNet.RepresentationModel;

namespace SelfSup.Reporting;

/// <summary>
/// One self-contained HTML page comparing run folders, each read by <see cref="RunContent"/>: a table of their
/// evaluation results (pretrained, random-init twin, raw pixels, pretext accuracy), the config fields in which they
/// differ, and their loss curves overlaid. Nothing is written into the run folders.
/// </summary>
public static class CompareReport
{
    public const string FileName = "compare.html";

    /// <summary>Writes the page to <paramref name="path"/>; the runs appear in the order given.</summary>
    public static string Write(IReadOnlyList<string> runDirs, string path)
    {
        Render(runDirs.Select(d => RunContent.Gather(d, drawCurves: false)).ToList()).Save(path);
        return path;
    }

    /// <summary>The page comparing <paramref name="runs"/>.</summary>
    public static HtmlPage Render(IReadOnlyList<RunContent> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("compare: no run folders given; expected one or more");
        var names = UniqueNames(runs);
        var page = new HtmlPage($"Run comparison: {runs.Count} runs");
        page.Heading(1, $"Run comparison: {string.Join(", ", names)}");
        page.Paragraph("Gathered by `selfsup report --compare`. Top-1 accuracies in percent on each run's test split.", "note");

        page.Heading(2, "Results");
        page.Table(Results(runs, names));

        page.Heading(2, "Config differences");
        var differences = ConfigDifferences(runs, names);
        if (differences.Rows.Count == 0) page.Paragraph("None: every `config.yaml` present holds the same values.", "note");
        else page.Table(differences);
        var withoutConfig = names.Where((_, i) => runs[i].ConfigYaml is null).ToList();
        if (withoutConfig.Count > 0) page.Paragraph($"Missing `config.yaml`: {string.Join(", ", withoutConfig)}.", "missing");

        page.Heading(2, "Loss curves");
        var metrics = runs.Select((r, i) => (Name: names[i], r.Metrics)).Where(m => m.Metrics is not null).Select(m => (m.Name, m.Metrics!)).ToList();
        var drawn = false;
        foreach (var (field, title) in new[] { ("loss", "training loss per step"), ("epoch_loss", "mean training loss per epoch") })
            if (CurveOverlay.Render(metrics, field, title) is { } png)
            {
                page.Png(png, title);
                drawn = true;
            }
        if (!drawn) page.Paragraph("No run has per-step records in `metrics.jsonl`.", "missing");
        return page;
    }

    /// <summary>One row per run: method, encoder, epochs, then k-NN and linear top-1 of the pretrained, twin and raw-pixel features, and the pretext accuracy.</summary>
    public static ReportTable Results(IReadOnlyList<RunContent> runs, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(names);
        var rows = new List<IReadOnlyList<string>>();
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Evaluation is not { } r)
            {
                rows.Add([names[i], "no results.json from selfsup eval"]);
                continue;
            }
            rows.Add(
            [
                names[i], r.Method, r.Encoder, ReportTable.Number(r.Epochs),
                ReportTable.Number(r.KnnTop1), ReportTable.Number(r.LinearTop1),
                ReportTable.Number(r.RandomInit.KnnTop1), ReportTable.Number(r.RandomInit.LinearTop1),
                ReportTable.Number(r.RawPixels.KnnTop1), ReportTable.Number(r.RawPixels.LinearTop1),
                r.PretextAccuracy is { } p ? $"{ReportTable.Number(p)} ({r.PretextMetric ?? "pretext"}; chance {(r.PretextChance is { } c ? ReportTable.Number(c) : "?")})" : "",
            ]);
        }
        return new ReportTable(null,
            ["run", "method", "encoder", "epochs", "k-NN", "linear", "twin k-NN", "twin linear", "raw k-NN", "raw linear", "pretext accuracy"], rows);
    }

    /// <summary>The config fields (nested ones as dotted keys) whose values are not the same in every run; a run without the field shows "—".</summary>
    public static ReportTable ConfigDifferences(IReadOnlyList<RunContent> runs, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var configs = runs.Select(r => r.ConfigYaml is null ? null : Flatten(r.ConfigYaml, r.PathOf("config.yaml"))).ToList();
        var keys = configs.OfType<Dictionary<string, string>>().SelectMany(c => c.Keys).Distinct().ToList();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var key in keys)
        {
            var values = configs.Select(c => c is null ? "" : c.GetValueOrDefault(key, "—")).ToList();
            if (values.Where((_, i) => configs[i] is not null).Distinct().Count() > 1) rows.Add([key, .. values]);
        }
        return new ReportTable(null, ["field", .. names], rows);
    }

    /// <summary>A YAML document as dotted key → value (sequences of scalars joined with ", ").</summary>
    static Dictionary<string, string> Flatten(string yaml, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e);
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stream.Documents.Count > 0) Add(stream.Documents[0].RootNode, "", result);
        return result;
    }

    static void Add(YamlNode node, string key, Dictionary<string, string> result)
    {
        switch (node)
        {
            case YamlMappingNode map:
                if (map.Children.Count == 0 && key.Length > 0) result[key] = "{}";
                foreach (var (k, v) in map.Children) Add(v, key.Length == 0 ? k.ToString() : $"{key}.{k}", result);
                break;
            case YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode):
                result[key] = "[" + string.Join(", ", seq.Children.Select(c => ((YamlScalarNode)c).Value)) + "]";
                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++) Add(seq.Children[i], $"{key}[{i}]", result);
                break;
            case YamlScalarNode scalar:
                result[key] = scalar.Value ?? "";
                break;
        }
    }

    /// <summary>The runs' folder names, with the parent folder prefixed where two share a name.</summary>
    static List<string> UniqueNames(IReadOnlyList<RunContent> runs)
    {
        var names = runs.Select(r => r.Name).ToList();
        return names.Select((n, i) => names.Count(m => m == n) == 1 ? n
            : Path.Combine(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(runs[i].RunDir).TrimEnd(Path.DirectorySeparatorChar))) ?? "", n)).ToList();
    }
}
