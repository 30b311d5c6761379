using System.Text.Json;

namespace SelfSup.Reporting;

/// <summary>
/// One self-contained HTML page (report.html) for a run folder, rendered from the same <see cref="RunContent"/> as the
/// Markdown report: config, training and monitor curves, the evaluation tables (pretrained against the random-init twin
/// and raw pixels, pretext scores), and every result file and picture, pictures inlined as data URIs.
/// </summary>
public static class RunReportHtml
{
    public const string FileName = "report.html";

    /// <summary>Writes runDir/report.html (drawing runDir/curves.png from metrics.jsonl on the way).</summary>
    public static RunReportResult Write(string runDir)
    {
        var content = RunContent.Gather(runDir);
        var path = Path.Combine(runDir, FileName);
        Render(content).Save(path);
        return new RunReportResult(path, content.Included, content.Missing);
    }

    /// <summary>The page of <paramref name="content"/>.</summary>
    public static HtmlPage Render(RunContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var page = new HtmlPage($"Run report: {content.Name}");
        page.Heading(1, $"Run report: {content.Name}");
        page.Paragraph("Gathered by `selfsup report --html` from the files in this folder.", "note");

        page.Heading(2, "Configuration");
        if (content.ConfigYaml is null) page.Paragraph("Missing: no `config.yaml` (written by `selfsup pretrain`).", "missing");
        else page.Preformatted(content.ConfigYaml.TrimEnd(), columns: true);

        Training(content, page);
        foreach (var section in content.Sections)
        {
            page.Heading(2, section.Title);
            if (section.Files.Count == 0)
            {
                page.Paragraph($"Missing: no {string.Join(" or ", section.Patterns.Select(p => $"`{p}`"))} (written by {section.Source}).", "missing");
                continue;
            }
            if (section.Title == "Evaluation" && content.Evaluation is { } evaluation)
            {
                page.Table(EvaluationTables.Scores(evaluation));
                if (EvaluationTables.Pretext(evaluation) is { } pretext) page.Table(pretext);
            }
            foreach (var f in section.Files) File(content, f, page, details: section.Title == "Evaluation" && content.Evaluation is not null);
        }

        page.Heading(2, "Missing");
        if (content.Missing.Count == 0) page.Paragraph("Nothing: every expected file is present.");
        else page.List(content.Missing);
        return page;
    }

    static void Training(RunContent content, HtmlPage page)
    {
        page.Heading(2, "Training");
        if (content.Metrics is null)
        {
            page.Paragraph("Missing: no `metrics.jsonl` (written by `selfsup pretrain`).", "missing");
            return;
        }
        if (content.Curves is { } curves)
            page.Png(System.IO.File.ReadAllBytes(content.PathOf(curves)), $"training curves: {string.Join(", ", content.CurveFields)}");
        if (content.FinalStep() is not { } last)
        {
            page.Paragraph("metrics.jsonl holds no per-step records yet.", "note");
            return;
        }
        page.Table(last with { Caption = "final step" });
        if (content.Epochs() is { } epochs)
            page.Table(epochs with { Caption = content.Metrics.Epochs.Count() > epochs.Rows.Count ? $"epochs (last {epochs.Rows.Count})" : "epochs" });
    }

    /// <summary>One file of a section: a picture inlined, JSON as tables (inside a collapsed block when <paramref name="details"/>), text verbatim.</summary>
    static void File(RunContent content, string file, HtmlPage page, bool details)
    {
        var path = content.PathOf(file);
        if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            page.Png(System.IO.File.ReadAllBytes(path), file);
            return;
        }
        if (details) page.Details($"{file}: every field");
        else page.Heading(3, file);
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
                foreach (var table in JsonTables.ToTables(doc.RootElement)) page.Table(table);
            }
            catch (JsonException e)
            {
                page.Paragraph($"Unreadable: not valid JSON ({e.Message}).", "missing");
            }
        }
        else if (file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            page.Preformatted(System.IO.File.ReadAllText(path).TrimEnd());
        else
            page.Paragraph($"{file}: not shown here (open it from the run folder).", "note");
        if (details) page.EndDetails();
    }
}
