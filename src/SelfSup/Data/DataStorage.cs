namespace SelfSup.Data;

/// <summary>Where a packed dataset's pixels live while a run reads them.</summary>
public enum DataStorage
{
    /// <summary>In memory when the pixels take at most a quarter of the memory the process may use, else <see cref="File"/>.</summary>
    Auto,

    /// <summary>One tensor in memory: the fastest, for data that fits.</summary>
    Memory,

    /// <summary>Rows read from the packed file as batches need them: memory stays flat whatever the dataset's size.</summary>
    File,
}

/// <summary>Parses <see cref="DataStorage"/> names as the CLI and run files write them.</summary>
public static class DataStorageNames
{
    /// <summary>"auto", "memory" or "file" (any case); anything else is an error naming <paramref name="field"/>.</summary>
    public static DataStorage Parse(string value, string field = "storage") => value.ToLowerInvariant() switch
    {
        "auto" or "" => DataStorage.Auto,
        "memory" => DataStorage.Memory,
        "file" => DataStorage.File,
        _ => throw new ArgumentException($"{field}: expected auto, memory or file, got '{value}'"),
    };
}
