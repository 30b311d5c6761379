namespace SelfSup.Data;

/// <summary>One labelled image of a label file: its path relative to the data root, its label, and its line.</summary>
public sealed record LabeledPath(string Path, string Label, int Line);

/// <summary>
/// A label file that labels a subset of an image folder: CSV or TSV with the columns <c>path,label</c> (an optional
/// header line <c>path,label</c>), paths relative to the data root. Every problem is an error naming the file and the
/// line: a wrong field count, an empty path or label, a file that does not exist, an absolute path, a path listed twice, no rows.
/// </summary>
public static class LabelFile
{
    public static IReadOnlyList<LabeledPath> Read(string labelsPath, string dataRoot)
    {
        if (!File.Exists(labelsPath)) throw new FileNotFoundException($"{labelsPath}: label file not found", labelsPath);
        if (!Directory.Exists(dataRoot)) throw new DirectoryNotFoundException($"{labelsPath}: its data root {dataRoot} is not a folder");
        var lines = File.ReadAllLines(labelsPath);
        var tab = labelsPath.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || (lines.Length > 0 && lines[0].Contains('\t'));
        var separator = tab ? '\t' : ',';
        var rows = new List<LabeledPath>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var fields = line.Split(separator);
            if (fields.Length != 2)
                throw new InvalidDataException($"{labelsPath} line {lineNo}: expected 2 fields 'path{separator}label', got {fields.Length}");
            var (path, label) = (Unquote(fields[0]), Unquote(fields[1]));
            if (rows.Count == 0 && seen.Count == 0 && path.Equals("path", StringComparison.OrdinalIgnoreCase) && label.Equals("label", StringComparison.OrdinalIgnoreCase))
                continue; // the header
            if (path.Length == 0) throw new InvalidDataException($"{labelsPath} line {lineNo}: empty path");
            if (label.Length == 0) throw new InvalidDataException($"{labelsPath} line {lineNo}: empty label for '{path}'");
            CheckRelative(path, labelsPath, lineNo);
            var key = path.Replace('\\', '/');
            if (seen.TryGetValue(key, out var first))
                throw new InvalidDataException($"{labelsPath} line {lineNo}: '{path}' is listed again (first on line {first})");
            if (!File.Exists(System.IO.Path.Combine(dataRoot, key)))
                throw new InvalidDataException($"{labelsPath} line {lineNo}: '{path}' not found under {dataRoot}");
            seen[key] = lineNo;
            rows.Add(new LabeledPath(key, label, lineNo));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{labelsPath}: no rows; expected 'path{separator}label' lines, paths relative to {dataRoot}");
        return rows;
    }

    /// <summary>
    /// Refuses an absolute path (or one with a NUL), which <see cref="System.IO.Path.Combine(string, string)"/> would
    /// otherwise take in place of the data root, silently reading outside it.
    /// </summary>
    internal static void CheckRelative(string path, string file, int line)
    {
        if (System.IO.Path.IsPathRooted(path) || path.StartsWith('\\') || path.Contains('\0'))
            throw new InvalidDataException($"{file} line {line}: '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' is not a path relative to the data root");
    }

    static string Unquote(string field)
    {
        var f = field.Trim();
        return f.Length >= 2 && f[0] == '"' && f[^1] == '"' ? f[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : f;
    }
}
