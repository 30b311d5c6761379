using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SelfSup.Evaluation;
using SelfSup.Runs;

namespace SelfSup.Leaderboard;

/// <summary>Where a method's row stands: trained and evaluated, failed (with its error), or skipped (with the reason).</summary>
public static class EntryStatus
{
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
}

/// <summary>
/// One method's row of the leaderboard: how it trained (encoder, budget plan, measured rate, planned against actual
/// seconds) and how it scored (<see cref="EvaluationResults"/>: k-NN and linear probe beside its random-init twin and raw
/// pixels; fine-tuning at a few labels per class beside the scratch arm; AUROC on two-class data).
/// </summary>
public sealed record LeaderboardEntry
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("family")] public required string Family { get; init; }
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>The error of a failed method, or why it was skipped.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    /// <summary>"resnet18 w16", "vit-tiny/p4/d4 w128".</summary>
    [JsonPropertyName("encoder")] public string? Encoder { get; init; }
    [JsonPropertyName("method_options")] public IReadOnlyDictionary<string, string>? MethodOptions { get; init; }
    [JsonPropertyName("note")] public string? Note { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("rate")] public StepRate? Rate { get; init; }
    [JsonPropertyName("calibration_s")] public double? CalibrationSeconds { get; init; }
    [JsonPropertyName("plan")] public BudgetPlan? Plan { get; init; }
    /// <summary>Wall time of the planned pretraining run as the Trainer measured it.</summary>
    [JsonPropertyName("actual_s")] public double? ActualSeconds { get; init; }
    [JsonPropertyName("steps_done")] public long? StepsDone { get; init; }
    [JsonPropertyName("final_loss")] public double? FinalLoss { get; init; }
    /// <summary>Warnings the run raised (collapse), each once.</summary>
    [JsonPropertyName("warnings")] public IReadOnlyList<string>? Warnings { get; init; }
    [JsonPropertyName("evaluation")] public EvaluationResults? Evaluation { get; init; }
    /// <summary>Fine-tuning, linear probe and scratch on the same class-balanced subsets (one labels-per-class point).</summary>
    [JsonPropertyName("fine_tune")] public LabelEfficiencyPoint? FineTune { get; init; }
    /// <summary>Two-class data: test AUROC × 100 of the linear probe fitted on the whole train split.</summary>
    [JsonPropertyName("linear_auroc")] public double? LinearAuroc { get; init; }
    /// <summary>Wall time of the method's whole bench: calibration, pretraining and evaluation.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("run_dir")] public string? RunDir { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public JsonNode ToJsonNode() => JsonSerializer.SerializeToNode(this, Json)!;
}

/// <summary>
/// Who made a result file, in the fields every file under docs/results carries (docs/results/README.md,
/// scripts/record-result.py): the command line, the commit of the code, the machine, the date and how the commit was found.
/// </summary>
public sealed record ResultProvenance(IReadOnlyList<string> Command, string Commit, string MeasuredOn, string Date, string Provenance);

/// <summary>
/// A method's result.json: the docs/results schema (command, commit, measured_on, date, provenance, results) with the
/// row under <c>results.leaderboard</c>, so the file can be committed to docs/results as it is.
/// </summary>
public sealed record LeaderboardResultFile(ResultProvenance Provenance, LeaderboardEntry Entry)
{
    /// <summary>The key of the row in <c>results</c>.</summary>
    public const string ResultsKey = "leaderboard";

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["command"] = new JsonArray(Provenance.Command.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            ["commit"] = Provenance.Commit,
            ["measured_on"] = Provenance.MeasuredOn,
            ["date"] = Provenance.Date,
            ["provenance"] = Provenance.Provenance,
            ["results"] = new JsonObject { [ResultsKey] = Entry.ToJsonNode() },
        };
        return root.ToJsonString(LeaderboardEntry.Json) + Environment.NewLine;
    }

    /// <summary>Writes the file atomically, so an interrupted bench never leaves half a result.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, path, overwrite: true);
    }

    public static LeaderboardResultFile Load(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a JSON result file ({e.Message})", e); }
        var entry = root?["results"]?[ResultsKey]
            ?? throw new InvalidDataException($"{path}: expected a leaderboard row under results.{ResultsKey}");
        var command = root["command"] switch
        {
            JsonArray a => a.Select(c => c?.GetValue<string>() ?? "").ToArray(),
            JsonValue v => [v.GetValue<string>()],
            _ => throw new InvalidDataException($"{path}: expected 'command' (a string or a list of strings)"),
        };
        var provenance = new ResultProvenance(command, Str(root, "commit", path), Str(root, "measured_on", path), Str(root, "date", path), Str(root, "provenance", path));
        return new LeaderboardResultFile(provenance, entry.Deserialize<LeaderboardEntry>(LeaderboardEntry.Json)
            ?? throw new InvalidDataException($"{path}: empty leaderboard row"));
    }

    static string Str(JsonNode root, string key, string path) =>
        root[key]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: expected '{key}' (a string)");
}
