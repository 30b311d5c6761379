using System.Text.Json;

namespace SelfSup.Reporting;

/// <summary>
/// Renders any results JSON as tables without knowing its schema: scalar fields (nested objects flattened to
/// dotted keys) form one key/value table, and every array of objects becomes a table of its own (one row per object).
/// Commands can add result files without the report needing to change.
/// </summary>
public static class JsonTables
{
    const int InlineArrayMax = 12;

    /// <summary>The tables of <paramref name="root"/>: first its scalar fields (field/value), then one per array of objects, captioned with its key.</summary>
    public static IReadOnlyList<ReportTable> ToTables(JsonElement root)
    {
        var scalars = new List<(string Key, string Value)>();
        var arrays = new List<(string Key, JsonElement Rows)>();
        Collect(root, "", scalars, arrays);
        var tables = new List<ReportTable>();
        if (scalars.Count > 0) tables.Add(new ReportTable(null, ["field", "value"], scalars.Select(s => (IReadOnlyList<string>)[s.Key, s.Value]).ToList()));
        foreach (var (key, rows) in arrays)
        {
            var flatRows = rows.EnumerateArray().Select(r =>
            {
                var cells = new List<(string Key, string Value)>();
                Collect(r, "", cells, null);
                return cells.ToDictionary(c => c.Key, c => c.Value);
            }).ToList();
            var columns = flatRows.SelectMany(r => r.Keys).Distinct().ToList();
            tables.Add(new ReportTable(key, columns, flatRows.Select(r => (IReadOnlyList<string>)columns.Select(c => r.GetValueOrDefault(c, "")).ToList()).ToList()));
        }
        return tables;
    }

    /// <summary>The tables of <see cref="ToTables"/> as Markdown, separated by blank lines.</summary>
    public static string ToMarkdown(JsonElement root) => string.Join("\n", ToTables(root).Select(t => t.ToMarkdown()));

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
}
