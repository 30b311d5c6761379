namespace SelfSup.Text;

/// <summary>
/// Reads a user's own text. A file is one document per non-blank line, unlabelled. A folder is one document per file
/// (hidden files skipped, files sorted ordinally), in the image folders' layouts: files directly in the folder make an
/// unlabelled pile read at any depth; otherwise every first-level subfolder is a category (sorted ordinally) whose
/// files, at any depth below it, are its documents.
/// </summary>
public static class TextFolderReader
{
    public static TextCorpus Read(string path)
    {
        if (File.Exists(path))
        {
            var lines = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (lines.Length == 0) throw new InvalidDataException($"{path}: no text; expected one document per line");
            return new TextCorpus(path, lines, null, []);
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: text file or folder not found", path);

        if (Directory.EnumerateFiles(path).Any(IsDocument))
        {
            var documents = Documents(path);
            return new TextCorpus(path, documents, null, []);
        }
        var all = new List<string>();
        var labels = new List<int>();
        var classes = new List<string>();
        foreach (var dir in Directory.GetDirectories(path).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
        {
            var documents = Documents(dir);
            if (documents.Count == 0) continue;
            all.AddRange(documents);
            labels.AddRange(Enumerable.Repeat(classes.Count, documents.Count));
            classes.Add(Path.GetFileName(dir));
        }
        if (all.Count == 0)
            throw new InvalidDataException($"{path}: no text files found; expected files in the folder (one document each) or in category folders (root/<category>/*.txt)");
        return new TextCorpus(path, all, labels, classes);
    }

    static bool IsDocument(string file) => !Path.GetFileName(file).StartsWith('.');

    static List<string> Documents(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .Select(f => File.ReadAllText(f).Trim())
            .Where(t => t.Length > 0)
            .ToList();
}
