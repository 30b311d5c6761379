using System.Text.Json;

namespace SelfSup.Reporting;

/// <summary>The numeric fields of a run's metrics.jsonl, line by line (per-step and per-epoch records alike).</summary>
public sealed class MetricsFile
{
    MetricsFile(string path, IReadOnlyList<IReadOnlyDictionary<string, double>> records)
    {
        Path = path;
        Records = records;
    }

    public string Path { get; }
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Records { get; }

    /// <summary>Per-step records: the lines that carry a training <c>loss</c>.</summary>
    public IEnumerable<IReadOnlyDictionary<string, double>> Steps => Records.Where(r => r.ContainsKey("loss") && r.ContainsKey("step"));

    /// <summary>Per-epoch records: the lines that carry an <c>epoch_loss</c>.</summary>
    public IEnumerable<IReadOnlyDictionary<string, double>> Epochs => Records.Where(r => r.ContainsKey("epoch_loss"));

    /// <summary>(step, value) pairs of one field over the per-step records that have it.</summary>
    public (double[] Steps, double[] Values) Series(string field)
    {
        var rows = Steps.Where(r => r.ContainsKey(field)).ToArray();
        return (rows.Select(r => r["step"]).ToArray(), rows.Select(r => r[field]).ToArray());
    }

    /// <summary>
    /// Reads every line; non-numeric fields are skipped, and a truncated last line (a run killed mid-write) is
    /// ignored. Any other malformed line is an error naming the file and line.
    /// </summary>
    public static MetricsFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: metrics file not found", path);
        var lines = File.ReadAllLines(path);
        var records = new List<IReadOnlyDictionary<string, double>>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{path}:{i + 1}: expected a JSON object per line");
                var record = new Dictionary<string, double>();
                foreach (var field in doc.RootElement.EnumerateObject())
                    if (field.Value.ValueKind == JsonValueKind.Number) record[field.Name] = field.Value.GetDouble();
                records.Add(record);
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                // The last line of a run killed while writing it.
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{i + 1}: not valid JSON ({e.Message})", e);
            }
        }
        return new MetricsFile(path, records);
    }
}
