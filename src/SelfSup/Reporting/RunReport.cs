using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SelfSup.Reporting;

/// <summary>What a report writer produced: the page, the files it shows, and the expected ones it did not find.</summary>
public sealed record RunReportResult(string Path, IReadOnlyList<string> Included, IReadOnlyList<string> Missing);

/// <summary>
/// One Markdown page (report.md) for a run folder, rendered from <see cref="RunContent"/>: configuration, training
/// curves and final metrics, and every result file and picture other commands wrote there. Sections follow the files
/// present; the missing ones are listed.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.md";
    public const string CurvesFile = RunContent.CurvesFile;

    /// <summary>Writes runDir/report.md (and runDir/curves.png from metrics.jsonl when it has per-step records).</summary>
    public static RunReportResult Write(string runDir)
    {
        var content = RunContent.Gather(runDir);
        var path = Path.Combine(runDir, FileName);
        File.WriteAllText(path, Render(content));
        return new RunReportResult(path, content.Included, content.Missing);
    }

    /// <summary>The Markdown page of <paramref name="content"/>; pictures are linked by their file names in the run folder.</summary>
    public static string Render(RunContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Run report: {content.Name}").AppendLine();
        md.AppendLine("Gathered by `selfsup report` from the files in this folder.").AppendLine();

        md.AppendLine("## Configuration").AppendLine();
        if (content.ConfigYaml is null) md.AppendLine("Missing: no `config.yaml` (written by `selfsup pretrain`).").AppendLine();
        else md.AppendLine("```yaml").AppendLine(content.ConfigYaml.TrimEnd()).AppendLine("```").AppendLine();

        Training(content, md);
        foreach (var section in content.Sections)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {section.Title}").AppendLine();
            if (section.Files.Count == 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Missing: no {string.Join(" or ", section.Patterns.Select(p => $"`{p}`"))} (written by {section.Source}).").AppendLine();
                continue;
            }
            if (section.Title == "Evaluation" && content.Evaluation is { } evaluation)
            {
                md.AppendLine(EvaluationTables.Scores(evaluation).ToMarkdown());
                if (EvaluationTables.Pretext(evaluation) is { } pretext) md.AppendLine(pretext.ToMarkdown());
            }
            foreach (var f in section.Files) AppendFile(content, f, md);
        }

        md.AppendLine("## Missing").AppendLine();
        md.AppendLine(content.Missing.Count == 0 ? "Nothing: every expected file is present." : string.Join("\n", content.Missing.Select(m => $"- `{m}`"))).AppendLine();
        return md.ToString();
    }

    static void Training(RunContent content, StringBuilder md)
    {
        md.AppendLine("## Training").AppendLine();
        if (content.Metrics is null)
        {
            md.AppendLine("Missing: no `metrics.jsonl` (written by `selfsup pretrain`).").AppendLine();
            return;
        }
        if (content.FinalStep() is not { } last)
        {
            md.AppendLine("`metrics.jsonl` holds no per-step records yet.").AppendLine();
            return;
        }
        md.AppendLine("Final step:").AppendLine();
        md.AppendLine(last.ToMarkdown());
        if (content.Epochs() is { } epochs)
        {
            md.AppendLine(content.Metrics.Epochs.Count() > epochs.Rows.Count ? $"Epochs (last {epochs.Rows.Count}):" : "Epochs:").AppendLine();
            md.AppendLine(epochs.ToMarkdown());
        }
        if (content.Curves is { } curves)
            md.AppendLine(CultureInfo.InvariantCulture, $"![training curves: {string.Join(", ", content.CurveFields)}]({curves})").AppendLine();
    }

    static void AppendFile(RunContent content, string file, StringBuilder md)
    {
        if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"![{file}]({Uri.EscapeDataString(file)})").AppendLine();
            return;
        }
        md.AppendLine(CultureInfo.InvariantCulture, $"`{file}`:").AppendLine();
        var path = content.PathOf(file);
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
}
