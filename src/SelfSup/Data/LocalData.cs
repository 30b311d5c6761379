namespace SelfSup.Data;

/// <summary>
/// Folders that may hold local copies of the built-in datasets: env <c>SELFSUP_LOCAL_DATA</c>, then every
/// <c>shared/data</c> folder found walking up from the current directory and from the application's folder.
/// </summary>
internal static class LocalData
{
    public static IReadOnlyList<string> Folders()
    {
        var found = new List<string>();
        var env = Environment.GetEnvironmentVariable("SELFSUP_LOCAL_DATA");
        if (!string.IsNullOrWhiteSpace(env))
            found.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists));
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "shared", "data");
                if (Directory.Exists(candidate)) found.Add(candidate);
            }
        }
        return found.Select(Path.GetFullPath).Distinct().ToArray();
    }

    /// <summary>The first existing file among <paramref name="names"/> inside <paramref name="folders"/>, in order.</summary>
    public static string? Find(IEnumerable<string> folders, params string[] names)
    {
        foreach (var folder in folders)
        {
            foreach (var n in names)
            {
                var p = Path.Combine(folder, n);
                if (File.Exists(p)) return p;
            }
        }
        return null;
    }
}
