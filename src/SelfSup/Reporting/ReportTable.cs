using System.Globalization;
using System.Text;

namespace SelfSup.Reporting;

/// <summary>
/// A table of text cells, the neutral form the report gatherer hands to its renderers (Markdown, HTML): an optional
/// caption, the column names, and rows of cells (a row shorter than the header leaves its last cells empty).
/// </summary>
public sealed record ReportTable(string? Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>The table as Markdown: caption (as inline code) then a pipe table; pipes and newlines in cells escaped.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        if (Caption is not null) md.AppendLine(CultureInfo.InvariantCulture, $"`{Caption}`:").AppendLine();
        md.AppendLine("| " + string.Join(" | ", Columns.Select(Cell)) + " |");
        md.AppendLine("|" + string.Concat(Columns.Select(_ => "---|")));
        foreach (var row in Rows)
            md.AppendLine("| " + string.Join(" | ", Columns.Select((_, i) => Cell(i < row.Count ? row[i] : ""))) + " |");
        return md.ToString();
    }

    /// <summary>A number as the report writes it: up to 6 significant digits, invariant culture.</summary>
    public static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
