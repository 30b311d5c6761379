namespace SelfSup.Text;

/// <summary>
/// Reads <c>fortune</c> cookie files (the format of Debian's <c>fortunes</c> package): plain text in which a line
/// holding only <c>%</c> ends each fortune. In a folder every cookie file is a category, named by the file; the
/// <c>strfile</c> indexes (<c>.dat</c>) and the <c>.u8</c> links beside them are skipped, and so are subfolders
/// (Debian's offensive <c>off/</c> set lives in one).
/// </summary>
public static class FortuneReader
{
    /// <summary>The fortunes of one cookie file's <paramref name="text"/>, in order, trailing blank lines trimmed; empty ones dropped.</summary>
    public static IReadOnlyList<string> Parse(string text)
    {
        var fortunes = new List<string>();
        var current = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line == "%")
            {
                Flush();
                continue;
            }
            current.Add(line);
        }
        Flush();
        return fortunes;

        void Flush()
        {
            var fortune = string.Join('\n', current).Trim('\n', ' ', '\t');
            if (fortune.Length > 0) fortunes.Add(fortune);
            current.Clear();
        }
    }

    /// <summary>The cookie files directly in <paramref name="folder"/>, ordinal by name.</summary>
    public static IReadOnlyList<string> CookieFiles(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Path.GetExtension(f) is not (".dat" or ".u8") && !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Every fortune of the cookie files in <paramref name="folder"/>, labelled by file (classes are the file names).</summary>
    public static TextCorpus ReadFolder(string folder, string? name = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: fortune folder not found");
        var documents = new List<string>();
        var labels = new List<int>();
        var classes = new List<string>();
        foreach (var file in CookieFiles(folder))
        {
            var fortunes = Parse(File.ReadAllText(file));
            if (fortunes.Count == 0) continue;
            documents.AddRange(fortunes);
            labels.AddRange(Enumerable.Repeat(classes.Count, fortunes.Count));
            classes.Add(Path.GetFileName(file));
        }
        if (documents.Count == 0)
            throw new InvalidDataException($"{folder}: no fortunes found; expected cookie files whose fortunes end with a line holding only '%'");
        return new TextCorpus(name ?? folder, documents, labels, classes);
    }
}
