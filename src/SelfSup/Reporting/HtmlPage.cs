using System.Globalization;
using System.Net;
using System.Text;

namespace SelfSup.Reporting;

/// <summary>
/// Builds one self-contained HTML page: styles inline, pictures as base64 data URIs, no scripts, fonts or other files,
/// so the page renders alone and offline. Every piece of text goes through <see cref="Escape"/>.
/// </summary>
public sealed class HtmlPage
{
    const string Style = """
        body{font-family:sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222;background:#fff}
        h1{border-bottom:2px solid #444;padding-bottom:4px}
        h2{border-bottom:1px solid #bbb;padding-bottom:2px;margin-top:32px}
        table{border-collapse:collapse;margin:8px 0 16px}
        caption{text-align:left;font-weight:bold;padding:4px 0}
        th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
        th{background:#eef1f5}
        tr:nth-child(even) td{background:#f8f9fb}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        pre{background:#f4f4f4;border:1px solid #ddd;padding:8px;overflow:auto;font-size:13px}
        pre.columns{column-count:3;column-gap:24px}
        code{background:#f0f0f0;padding:0 3px}
        img{max-width:100%;height:auto;border:1px solid #ddd;margin:4px 0}
        figure{margin:8px 0 16px}
        figcaption{font-size:13px;color:#555}
        .missing{color:#a33}
        .note{color:#555}
        """;

    readonly StringBuilder body = new();
    readonly string title;

    public HtmlPage(string title) => this.title = title;

    /// <summary>Text with &amp;, &lt;, &gt;, quotes and apostrophes replaced by entities: safe in content and attribute values.</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A heading of <paramref name="level"/> (1–6).</summary>
    public HtmlPage Heading(int level, string text)
    {
        if (level is < 1 or > 6) throw new ArgumentOutOfRangeException(nameof(level), level, "heading level must be 1..6");
        body.Append(CultureInfo.InvariantCulture, $"<h{level}>{Escape(text)}</h{level}>\n");
        return this;
    }

    /// <summary>
    /// A paragraph; <paramref name="cssClass"/> is one of the page's classes (missing, note) or null. Text between
    /// backticks is set as code (after escaping, so no markup can come from the text).
    /// </summary>
    public HtmlPage Paragraph(string text, string? cssClass = null)
    {
        body.Append(cssClass is null ? "<p>" : $"<p class=\"{Escape(cssClass)}\">").Append(CodeSpans(Escape(text))).Append("</p>\n");
        return this;
    }

    /// <summary>Preformatted text (config files, CSV); with <paramref name="columns"/>, flowed into three columns.</summary>
    public HtmlPage Preformatted(string text, bool columns = false)
    {
        body.Append(columns ? "<pre class=\"columns\">" : "<pre>").Append(Escape(text)).Append("</pre>\n");
        return this;
    }

    /// <summary>A bulleted list.</summary>
    public HtmlPage List(IEnumerable<string> items)
    {
        body.Append("<ul>\n");
        foreach (var item in items) body.Append("<li>").Append(Escape(item)).Append("</li>\n");
        body.Append("</ul>\n");
        return this;
    }

    /// <summary>A table; cells that read as numbers are right-aligned.</summary>
    public HtmlPage Table(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        body.Append("<table>\n");
        if (table.Caption is not null) body.Append("<caption>").Append(Escape(table.Caption)).Append("</caption>\n");
        body.Append("<tr>");
        foreach (var c in table.Columns) body.Append("<th>").Append(Escape(c)).Append("</th>");
        body.Append("</tr>\n");
        foreach (var row in table.Rows)
        {
            body.Append("<tr>");
            for (var i = 0; i < table.Columns.Count; i++)
            {
                var cell = i < row.Count ? row[i] : "";
                body.Append(IsNumber(cell) ? "<td class=\"num\">" : "<td>").Append(Escape(cell)).Append("</td>");
            }
            body.Append("</tr>\n");
        }
        body.Append("</table>\n");
        return this;
    }

    /// <summary>A PNG embedded as a data URI, with <paramref name="caption"/> under it.</summary>
    public HtmlPage Png(byte[] png, string caption)
    {
        ArgumentNullException.ThrowIfNull(png);
        body.Append("<figure><img alt=\"").Append(Escape(caption)).Append("\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(png)).Append("\"><figcaption>").Append(Escape(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    /// <summary>Opens a collapsible block (a &lt;details&gt; element, no script) titled <paramref name="summary"/>; close it with <see cref="EndDetails"/>.</summary>
    public HtmlPage Details(string summary)
    {
        body.Append("<details><summary>").Append(Escape(summary)).Append("</summary>\n");
        return this;
    }

    public HtmlPage EndDetails()
    {
        body.Append("</details>\n");
        return this;
    }

    /// <summary>The whole document.</summary>
    public override string ToString() =>
        $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{Escape(title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n";

    /// <summary>Writes the document to <paramref name="path"/> whole (temporary file + rename).</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, full, overwrite: true);
    }

    static string CodeSpans(string escaped)
    {
        var parts = escaped.Split('`');
        if (parts.Length < 3) return escaped;
        var html = new StringBuilder(parts[0]);
        for (var i = 1; i < parts.Length; i++)
            html.Append(i % 2 == 1 && i < parts.Length - 1 ? "<code>" : i % 2 == 0 ? "</code>" : "`").Append(parts[i]);
        return html.ToString();
    }

    static bool IsNumber(string s) => s.Length > 0 && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
