using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;

namespace SelfSup.Text;

/// <summary>
/// A parsed corpus kept in the datasets' cache folder as JSON lines, so later runs skip parsing: a header line
/// <c>{"name", "classes", "count", "key"}</c>, then one <c>{"text", "label"}</c> line per document. The file's name is a
/// readable label plus a hash of the key (<see cref="PackedCache.PathFor"/>), which names the source and its identity
/// (<see cref="PackedCache.SourceKey"/>: path, size, newest write time). Written to a temporary name and renamed.
/// </summary>
public static class TextCorpusCache
{
    public const string Extension = ".jsonl";

    /// <summary>The cache file of a corpus labelled <paramref name="label"/> with <paramref name="key"/>.</summary>
    public static string PathFor(string cacheDir, string label, string key) =>
        Path.ChangeExtension(PackedCache.PathFor(cacheDir, label, key), Extension);

    /// <summary>The cache file at <paramref name="path"/> when it exists and holds <paramref name="key"/>; otherwise parses, writes and returns <paramref name="build"/>'s corpus.</summary>
    public static TextCorpus GetOrCreate(string path, string key, Func<TextCorpus> build, IProgress<string>? log = null)
    {
        if (File.Exists(path))
        {
            try
            {
                var cached = Read(path);
                if (cached.Key == key) return cached.Corpus;
            }
            catch (Exception e) when (e is InvalidDataException or JsonException)
            {
                log?.Report($"ignoring unreadable cache {path}: {e.Message}");
            }
        }
        var corpus = build();
        Write(path, key, corpus);
        log?.Report($"wrote cache {path}");
        return corpus;
    }

    public static void Write(string path, string key, TextCorpus corpus)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false)))
        {
            var header = new JsonObject
            {
                ["name"] = corpus.Name,
                ["classes"] = new JsonArray([.. corpus.Classes.Select(c => JsonValue.Create(c))]),
                ["count"] = corpus.Count,
                ["labelled"] = corpus.Labels is not null,
                ["key"] = key,
            };
            writer.Write(header.ToJsonString());
            writer.Write('\n');
            for (var i = 0; i < corpus.Count; i++)
            {
                var row = new JsonObject { ["text"] = corpus.Documents[i] };
                if (corpus.Labels is { } labels) row["label"] = labels[i];
                writer.Write(row.ToJsonString());
                writer.Write('\n');
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The corpus and key stored at <paramref name="path"/>; a malformed file is an error naming its line.</summary>
    public static (TextCorpus Corpus, string Key) Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = JsonNode.Parse(reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty cache file"))
            ?? throw new InvalidDataException($"{path} line 1: expected a header object");
        var name = (string?)header["name"] ?? throw new InvalidDataException($"{path} line 1: header lacks 'name'");
        var key = (string?)header["key"] ?? throw new InvalidDataException($"{path} line 1: header lacks 'key'");
        var count = (int?)header["count"] ?? throw new InvalidDataException($"{path} line 1: header lacks 'count'");
        var labelled = (bool?)header["labelled"] ?? false;
        var classes = header["classes"]?.AsArray().Select(c => (string?)c ?? "").ToArray() ?? [];
        var documents = new List<string>(count);
        var labels = labelled ? new List<int>(count) : null;
        for (var line = 2; reader.ReadLine() is { } text; line++)
        {
            var row = JsonNode.Parse(text) ?? throw new InvalidDataException($"{path} line {line}: expected a document object");
            documents.Add((string?)row["text"] ?? throw new InvalidDataException($"{path} line {line}: document lacks 'text'"));
            labels?.Add((int?)row["label"] ?? throw new InvalidDataException($"{path} line {line}: document lacks 'label'"));
        }
        if (documents.Count != count) throw new InvalidDataException($"{path}: {documents.Count} documents; the header promises {count}");
        return (new TextCorpus(name, documents, labels, classes), key);
    }
}
