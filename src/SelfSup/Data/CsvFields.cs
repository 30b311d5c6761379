using System.Text;

namespace SelfSup.Data;

/// <summary>
/// One line of RFC 4180 CSV split into fields: commas separate, a field in double quotes may hold commas, and a
/// doubled quote inside it stands for one quote. Fields do not span lines.
/// </summary>
internal static class CsvFields
{
    public static List<string> Split(string line, string file, int lineNo)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var wasQuoted = false;
        var text = line.TrimEnd('\r');
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"' && field.ToString().Trim().Length == 0 && !wasQuoted) { field.Clear(); quoted = wasQuoted = true; }
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; }
            else field.Append(c);
        }
        if (quoted) throw new InvalidDataException($"{file} line {lineNo}: a quoted field is not closed");
        fields.Add(field.ToString());
        return fields;
    }
}
