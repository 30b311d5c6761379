using System.Text.Json;
using System.Text.Json.Nodes;

namespace SelfSup.Leaderboard;

/// <summary>
/// Why a method scores below its random-init twin on one dataset, as found by rerunning it:
/// docs/results/investigation-DATASET-METHOD.json, written by scripts/leaderboard-investigation.py from the reruns'
/// own result files (more seeds, longer budgets, one recipe change at a time). The page puts <see cref="Finding"/> in
/// the method's row, so a row below its twin always says either what was found or that nothing was.
/// </summary>
/// <param name="Finding">One or two sentences for the row; the measurements behind them are in the file.</param>
/// <param name="Link">The file, relative to the page.</param>
public sealed record LeaderboardInvestigation(string Method, string Dataset, string Finding, string Link)
{
    /// <summary>The key of the investigation in the file's <c>results</c>.</summary>
    public const string ResultsKey = "investigation";

    /// <summary>The committed name: investigation-DATASET-METHOD.json (outside the leaderboard-*.json rows' pattern).</summary>
    public static string FileName(string data, string method) => $"investigation-{LeaderboardRun.DatasetKey(data)}-{method}.json";

    /// <summary>Every investigation file in <paramref name="resultsDir"/>, linked as results/NAME.</summary>
    public static IReadOnlyList<LeaderboardInvestigation> LoadAll(string resultsDir) =>
        Directory.Exists(resultsDir)
            ? Directory.EnumerateFiles(resultsDir, "investigation-*.json").Order(StringComparer.Ordinal)
                .Select(f => Load(f, "results/" + Path.GetFileName(f))).ToList()
            : [];

    public static LeaderboardInvestigation Load(string path, string link)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a JSON result file ({e.Message})", e); }
        var node = root?["results"]?[ResultsKey]
            ?? throw new InvalidDataException($"{path}: expected an investigation under results.{ResultsKey}");
        return new LeaderboardInvestigation(Text(node, "method", path), Text(node, "dataset", path), Text(node, "finding", path), link);
    }

    static string Text(JsonNode node, string key, string path) =>
        (node[key] as JsonValue)?.TryGetValue<string>(out var s) == true && !string.IsNullOrWhiteSpace(s)
            ? s : throw new InvalidDataException($"{path}: expected results.{ResultsKey}.{key} (a non-empty string)");
}
