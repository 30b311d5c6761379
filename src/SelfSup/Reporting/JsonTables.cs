using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SelfSup.Reporting;

/// <summary>
/// Renders any results JSON as Markdown tables without knowing its schema: scalar fields (nested objects flattened to
/// dotted keys) form one key/value table, and every array of objects becomes a table of its own (one row per object).
/// Commands can add result files without the report needing to change.
/// </summary>
public static class JsonTables
{
    const int InlineArrayMax = 12;

    public static string ToMarkdown(JsonElement root)
    {
        var scalars = new List<(string Key, string Value)>();
        var tables = new List<(string Key, JsonElement Rows)>();
        Collect(root, "", scalars, tables);
        var md = new StringBuilder();
        if (scalars.Count > 0)
        {
            md.AppendLine("| field | value |").AppendLine("|---|---|");
            foreach (var (key, value) in scalars) md.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(key)} | {Cell(value)} |");
        }
        foreach (var (key, rows) in tables)
        {
            var flatRows = rows.EnumerateArray().Select(r =>
            {
                var cells = new List<(string Key, string Value)>();
                Collect(r, "", cells, null);
                return cells.ToDictionary(c => c.Key, c => c.Value);
            }).ToList();
            var columns = flatRows.SelectMany(r => r.Keys).Distinct().ToList();
            if (md.Length > 0) md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"`{key}`:").AppendLine();
            md.AppendLine("| " + string.Join(" | ", columns.Select(Cell)) + " |");
            md.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
            foreach (var r in flatRows)
                md.AppendLine("| " + string.Join(" | ", columns.Select(c => Cell(r.GetValueOrDefault(c, "")))) + " |");
        }
        return md.ToString();
    }

    static void Collect(JsonElement e, string path, List<(string, string)> scalars, List<(string, JsonElement)>? tables)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Collect(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", scalars, tables);
                break;
            case JsonValueKind.Array when tables is not null && e.GetArrayLength() > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Object):
                tables.Add((path, e));
                break;
            case JsonValueKind.Array:
                var n = e.GetArrayLength();
                scalars.Add((path, n <= InlineArrayMax && e.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
                    ? "[" + string.Join(", ", e.EnumerateArray().Select(Scalar)) + "]"
                    : $"({n} items)"));
                break;
            default:
                scalars.Add((path, Scalar(e)));
                break;
        }
    }

    static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Null => "—",
        _ => e.GetRawText(),
    };

    static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
