using System.Text.Json;

namespace SelfSup.Training;

/// <summary>Appends one JSON object per line to metrics.jsonl (flushed per line, so a crash loses nothing written).</summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter writer;

    public MetricsLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Write(IReadOnlyDictionary<string, object> record) =>
        writer.WriteLine(JsonSerializer.Serialize(record));

    public void Dispose() => writer.Dispose();
}
