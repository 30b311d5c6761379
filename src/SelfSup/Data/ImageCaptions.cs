using System.Text.Json;

namespace SelfSup.Data;

/// <summary>One image of a captions file: its path relative to the image root, its captions, and the line it first appears on.</summary>
public sealed record CaptionedPath(string Path, IReadOnlyList<string> Captions, int Line);

/// <summary>Decoded images with their captions: row i of <see cref="Images"/> has the captions <c>Captions[i]</c> (one or more).</summary>
public sealed record CaptionedImages(ImageDataset Images, IReadOnlyList<IReadOnlyList<string>> Captions) : IDisposable
{
    public void Dispose() => Images.Dispose();
}

/// <summary>
/// Image–caption pairs: an image folder plus a captions file naming its images, either CSV (a header with a
/// <c>path</c> or <c>file</c> column and a <c>caption</c> column, in any order, other columns ignored; fields may be
/// quoted with <c>"</c>, so captions may hold commas) or JSONL (one <c>{"image": …, "caption": …}</c> object per
/// line). An image may appear on several lines: its captions are gathered in file order. Images are the rows, sorted
/// by path, as <see cref="ImageFolderReader"/> sorts a pile; they decode with the folder reader. Every problem is an
/// error naming the file, the line and the field: a missing column or key, an empty path or caption, an image that
/// does not exist, malformed JSON, no rows.
/// </summary>
public static class ImageCaptions
{
    /// <summary>
    /// The captions file's images (sorted by path) with their captions, without decoding any image; each image must
    /// exist under <paramref name="imageRoot"/> (null: the images are not looked for, only the text is read).
    /// </summary>
    public static IReadOnlyList<CaptionedPath> ReadCaptions(string captionsPath, string? imageRoot)
    {
        if (!File.Exists(captionsPath)) throw new FileNotFoundException($"{captionsPath}: captions file not found", captionsPath);
        if (imageRoot is not null && !Directory.Exists(imageRoot)) throw new DirectoryNotFoundException($"{captionsPath}: its image root {imageRoot} is not a folder");
        var pairs = captionsPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || captionsPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? ReadJsonLines(captionsPath)
            : ReadCsv(captionsPath);
        var byPath = new Dictionary<string, (List<string> Captions, int Line)>(StringComparer.Ordinal);
        foreach (var (path, caption, line) in pairs)
        {
            var key = path.Replace('\\', '/');
            if (!byPath.TryGetValue(key, out var entry))
            {
                if (imageRoot is not null && !File.Exists(System.IO.Path.Combine(imageRoot, key)))
                    throw new InvalidDataException($"{captionsPath} line {line}: image '{path}' not found under {imageRoot}");
                byPath[key] = entry = ([], line);
            }
            entry.Captions.Add(caption);
        }
        if (byPath.Count == 0) throw new InvalidDataException($"{captionsPath}: no rows; expected image paths relative to {imageRoot ?? "the image root"} with a caption each");
        return byPath.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new CaptionedPath(p.Key, p.Value.Captions, p.Value.Line)).ToList();
    }

    /// <summary>
    /// Decodes the images a captions file names (as <paramref name="options"/> ask; every image must decode, so rows
    /// and captions stay aligned) and returns them with their captions, unlabeled.
    /// </summary>
    public static CaptionedImages Read(string captionsPath, string imageRoot, DatasetOptions? options = null, string? name = null)
    {
        var rows = ReadCaptions(captionsPath, imageRoot);
        var items = rows.Select(r => System.IO.Path.Combine(imageRoot, r.Path))
            .Select(f => new EncodedImage(f, -1, () => File.ReadAllBytes(f))).ToList();
        var decodeOptions = (options ?? new DatasetOptions()) with { SkipBadImages = false };
        var images = ImageFolderReader.Decode(items, [], decodeOptions, name ?? System.IO.Path.GetFileNameWithoutExtension(captionsPath));
        return new CaptionedImages(images, rows.Select(r => r.Captions).ToList());
    }

    static IEnumerable<(string Path, string Caption, int Line)> ReadCsv(string file)
    {
        var lines = File.ReadAllLines(file);
        int header = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (header < 0) throw new InvalidDataException($"{file}: empty; expected a header line 'path,caption'");
        var names = CsvFields.Split(lines[header], file, header + 1).Select(n => n.Trim().ToLowerInvariant()).ToList();
        var pathColumn = names.IndexOf("path") is var p and >= 0 ? p : names.IndexOf("file");
        var captionColumn = names.IndexOf("caption");
        if (pathColumn < 0 || captionColumn < 0)
            throw new InvalidDataException($"{file} line {header + 1}: the header must name a 'path' (or 'file') column and a 'caption' column, got '{lines[header]}'");
        for (int i = header + 1; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            if (lines[i].Trim().Length == 0) continue;
            var fields = CsvFields.Split(lines[i], file, lineNo);
            if (fields.Count != names.Count)
                throw new InvalidDataException($"{file} line {lineNo}: expected {names.Count} fields as in the header, got {fields.Count}");
            yield return Checked(fields[pathColumn].Trim(), fields[captionColumn].Trim(), file, lineNo, names[pathColumn], "caption");
        }
    }

    static IEnumerable<(string Path, string Caption, int Line)> ReadJsonLines(string file)
    {
        var lines = File.ReadAllLines(file);
        for (int i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            if (lines[i].Trim().Length == 0) continue;
            JsonElement row;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                row = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{file} line {lineNo}: not a JSON object ({e.Message})", e);
            }
            if (row.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file} line {lineNo}: expected a JSON object {{\"image\": …, \"caption\": …}}, got {row.ValueKind}");
            yield return Checked(StringField(row, "image", file, lineNo), StringField(row, "caption", file, lineNo), file, lineNo, "image", "caption");
        }
    }

    static string StringField(JsonElement row, string key, string file, int line) =>
        !row.TryGetProperty(key, out var v) ? throw new InvalidDataException($"{file} line {line}: missing field \"{key}\"")
        : v.ValueKind != JsonValueKind.String ? throw new InvalidDataException($"{file} line {line}: field \"{key}\" must be a string, got {v.ValueKind}")
        : v.GetString()!.Trim();

    static (string, string, int) Checked(string path, string caption, string file, int line, string pathField, string captionField)
    {
        if (path.Length == 0) throw new InvalidDataException($"{file} line {line}: field '{pathField}' is empty");
        if (caption.Length == 0) throw new InvalidDataException($"{file} line {line}: field '{captionField}' is empty for '{path}'");
        LabelFile.CheckRelative(path, file, line);
        return (path, caption, line);
    }
}
