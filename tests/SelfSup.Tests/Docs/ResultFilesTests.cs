using System.Text.Json;
using System.Text.RegularExpressions;

namespace SelfSup.Tests.Docs;

/// <summary>
/// Every measured number in the docs has a result file (docs/results/README.md): each file under docs/results and
/// bench/results must name the command and the commit that produced it, and every link to one must resolve.
/// </summary>
public partial class ResultFilesTests
{
    internal static readonly string Root = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SelfSup.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds SelfSup.slnx");
    }

    static IEnumerable<string> ResultFiles() =>
        new[] { "docs/results", "bench/results" }
            .Select(d => Path.Combine(Root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.json", SearchOption.AllDirectories))
            .Order();

    [GeneratedRegex("^[0-9a-f]{7,40}$")]
    private static partial Regex CommitHash();

    [GeneratedRegex(@"\]\(([^)\s]*results/[^)\s]+\.json)\)")]
    private static partial Regex ResultLink();

    /// <summary>Why a result file's JSON fails the format, or null when it passes.</summary>
    internal static string? Problem(string json)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(json).RootElement; }
        catch (JsonException e) { return $"does not parse: {e.Message}"; }
        if (root.ValueKind != JsonValueKind.Object) return "is not a JSON object";
        if (!root.TryGetProperty("command", out var command) || !IsNonEmptyCommand(command))
            return "needs a non-empty 'command' (a string or a list of strings)";
        if (!root.TryGetProperty("commit", out var commit) || commit.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(commit.GetString()))
            return "needs a non-empty 'commit'";
        if (!CommitHash().IsMatch(commit.GetString()!))
            return $"'commit' must be 7-40 lower-case hex characters, got '{commit.GetString()}'";
        return null;
    }

    static bool IsNonEmptyCommand(JsonElement command) => command.ValueKind switch
    {
        JsonValueKind.String => !string.IsNullOrWhiteSpace(command.GetString()),
        JsonValueKind.Array => command.GetArrayLength() > 0 && command.EnumerateArray().All(
            c => c.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(c.GetString())),
        _ => false,
    };

    [Fact]
    public void EveryResultFile_Parses_AndNamesItsCommandAndCommit()
    {
        var files = ResultFiles().ToList();
        Assert.NotEmpty(files);
        var problems = files
            .Select(f => (File: Path.GetRelativePath(Root, f), Problem: Problem(File.ReadAllText(f))))
            .Where(p => p.Problem != null)
            .Select(p => $"{p.File}: {p.Problem}");
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("""{"command": "a", "commit": "abc123"}""")]
    [InlineData("""{"command": "", "commit": "abc1234"}""")]
    [InlineData("""{"command": [], "commit": "abc1234"}""")]
    [InlineData("""{"command": ["a", ""], "commit": "abc1234"}""")]
    [InlineData("""{"command": "a"}""")]
    [InlineData("""{"command": "a", "commit": "not-a-hash"}""")]
    [InlineData("""{"command": "a", "commit": "0123456789abcdef0123456789abcdef012345678"}""")]
    [InlineData("""{"command": "a", "commit": "abc1234",""")]
    public void MalformedResultFiles_AreRejected(string json) => Assert.NotNull(Problem(json));

    [Theory]
    [InlineData("""{"command": "./selfsup demo", "commit": "abc1234", "results": {}}""")]
    [InlineData("""{"command": ["a", "b"], "commit": "0123456789abcdef0123456789abcdef01234567"}""")]
    public void WellFormedResultFiles_AreAccepted(string json) => Assert.Null(Problem(json));

    [Fact]
    public void EveryResultLinkInTheDocs_PointsToAnExistingFile()
    {
        var docs = new[] { Path.Combine(Root, "README.md"), Path.Combine(Root, "bench", "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md"))
            .Where(File.Exists);
        var links = docs.SelectMany(doc => ResultLink().Matches(File.ReadAllText(doc))
                .Select(m => (Doc: doc, Link: m.Groups[1].Value)))
            .ToList();
        Assert.NotEmpty(links);
        var broken = links
            .Where(l => !File.Exists(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(l.Doc)!, l.Link))))
            .Select(l => $"{Path.GetRelativePath(Root, l.Doc)}: {l.Link}");
        Assert.Empty(broken);
    }
}
