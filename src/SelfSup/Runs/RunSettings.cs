using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>
/// Resolves a run's settings in layers: the command's defaults &lt; the method's recipe &lt; the run file &lt; the flags
/// the user typed. Every layer is a JSON object with <see cref="RunConfig"/>'s snake_case keys; `method_options` merge
/// key by key. The recipe's batch-dependent learning rate and run-length-dependent warm-up are filled in last,
/// unless the run file or a flag set them.
/// </summary>
public static class RunSettings
{
    /// <summary>Settings that come from the method's recipe unless given.</summary>
    static readonly string[] RecipeKeys = ["optimizer", "learning_rate", "weight_decay", "weight_decay_end", "momentum", "adam_beta1", "adam_beta2", "grad_clip", "lars_eta", "lars_clip", "warmup_epochs"];

    /// <summary>
    /// <paramref name="config"/> with its method's recipe applied (optimiser, learning rate scaled to its batch size,
    /// weight decay and schedule, warm-up, betas, clipping): what a library caller building a <see cref="RunConfig"/>
    /// by hand passes to <see cref="Pretraining.Create"/> to train as the CLI does.
    /// </summary>
    public static RunConfig WithRecipe(RunConfig config) => Resolve(config, null, null, new JsonObject());

    /// <param name="defaults">The command's defaults (data, encoder, epochs…; optimisation settings here are overridden by the recipe).</param>
    /// <param name="runFile">Settings from a run file (YAML or JSON), or null.</param>
    /// <param name="runFilePath">The run file's path, for error messages.</param>
    /// <param name="typed">Settings from the flags the user typed (not defaults).</param>
    /// <param name="lookup">Finds a method by name (default: <see cref="MethodRegistry.Get"/>).</param>
    public static RunConfig Resolve(RunConfig defaults, JsonObject? runFile, string? runFilePath, JsonObject typed, Func<string, MethodInfo>? lookup = null)
    {
        lookup ??= MethodRegistry.Get;
        var fileName = runFilePath ?? "run file";
        var known = KnownKeys();
        if (runFile is not null)
            foreach (var (key, _) in runFile)
                if (!known.Contains(key))
                    throw new ArgumentException($"{fileName}{At(runFilePath, key)}: unknown setting '{key}'; expected one of: {string.Join(", ", known.Order())}");

        var methodName = Str(typed, "method") ?? Str(runFile, "method") ?? defaults.Method;
        MethodInfo method;
        try
        {
            method = lookup(methodName);
        }
        catch (ArgumentException e) when (Str(typed, "method") is null && Str(runFile, "method") is not null)
        {
            throw new ArgumentException($"{fileName}{At(runFilePath, "method")}: {e.Message}", e);
        }
        var recipe = method.RecipeFor(Str(typed, "encoder") ?? Str(runFile, "encoder") ?? defaults.Encoder);
        var merged = JsonSerializer.SerializeToNode(defaults, RunConfig.Json)!.AsObject();
        var sources = new Dictionary<string, string>();
        Overlay(merged, recipe.ToSettings(), "recipe", sources);
        if (runFile is not null) Overlay(merged, runFile, "run file", sources);
        Overlay(merged, typed, "flag", sources);
        merged["setting_sources"] = null;

        RunConfig config;
        try
        {
            config = merged.Deserialize<RunConfig>(RunConfig.Json) ?? throw new InvalidDataException("empty settings");
        }
        catch (JsonException e)
        {
            var key = e.Path is { } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..].Split('.', '[')[0] : null;
            if (key is null) throw new ArgumentException($"{fileName}: a setting has the wrong type ({e.Message})", e);
            var where = sources.GetValueOrDefault(key) switch
            {
                "run file" => $"{fileName}{At(runFilePath, key)}",
                "flag" => $"the flag for '{key}'",
                var other => other ?? "settings",
            };
            throw new ArgumentException($"{where}: setting '{key}' has the wrong type: expected {Expected(key)}, got {merged[key]?.ToJsonString() ?? "null"}", e);
        }
        if (!sources.ContainsKey("learning_rate"))
        {
            config = config with { LearningRate = recipe.LearningRate(config.BatchSize) };
            sources["learning_rate"] = "recipe";
        }
        if (!sources.ContainsKey("warmup_epochs"))
        {
            config = config with { WarmupEpochs = recipe.WarmupFor(config.Epochs) };
            sources["warmup_epochs"] = "recipe";
        }
        var recorded = sources.Where(s => RecipeKeys.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value);
        var origin = (string key) => sources.GetValueOrDefault(key) == "run file" ? $"{fileName}{At(runFilePath, key)}: " : "";
        return Validate(config with { Method = methodName, SettingSources = recorded }, origin);
    }

    /// <summary>", line N" where <paramref name="key"/> is set at the top level of the run file, or "" when unknown.</summary>
    static string At(string? path, string key)
    {
        if (path is null || !File.Exists(path)) return "";
        try
        {
            var text = File.ReadAllText(path);
            if (text.TrimStart().StartsWith('{'))
            {
                var lines = text.Split('\n');
                var index = Array.FindIndex(lines, l => l.Contains($"\"{key}\"", StringComparison.Ordinal));
                return index < 0 ? "" : $", line {index + 1}";
            }
            var stream = new YamlDotNet.RepresentationModel.YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlDotNet.RepresentationModel.YamlMappingNode root) return "";
            var node = root.Children.Keys.FirstOrDefault(k => k is YamlDotNet.RepresentationModel.YamlScalarNode { Value: { } v } && v == key);
            return node is null ? "" : $", line {node.Start.Line}";
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return "";
        }
    }

    /// <summary>What a setting's value must be, from <see cref="RunConfig"/>'s property of that key.</summary>
    static string Expected(string key)
    {
        var property = typeof(RunConfig).GetProperties().FirstOrDefault(p =>
            (p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false).FirstOrDefault() is System.Text.Json.Serialization.JsonPropertyNameAttribute a
                ? a.Name : JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)) == key);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type switch
        {
            null => "another value",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(string) => "text",
            _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type).Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n)))}",
            _ when type.IsArray => "a list",
            _ => $"a {type.Name}",
        };
    }

    /// <summary>
    /// Reads a run file: JSON when it starts with '{', else YAML (flat keys as in config.yaml). YAML nested too deeply
    /// or swollen by aliases is refused before its tree is built (<see cref="YamlLimits"/>).
    /// </summary>
    public static JsonObject ReadRunFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: run file not found", path);
        var text = File.ReadAllText(path);
        try
        {
            if (text.TrimStart().StartsWith('{'))
            {
                var json = JsonNode.Parse(text)?.AsObject() ?? throw new InvalidDataException($"{path}: empty run file");
                _ = json.Count; // builds the object's dictionary: a repeated key throws here, not in a later reader
                return json;
            }
            YamlLimits.Check(text, path);
            var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<object?>(text);
            return yaml is null ? new JsonObject() : ToJson(yaml) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a mapping of settings such as 'epochs: 10' at the top level");
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a valid run file; expected a YAML or JSON mapping of settings such as 'epochs: 10' ({e.Message})", e);
        }
    }

    /// <summary>YAML's untyped tree as JSON: plain scalars that read as numbers or booleans become those, as YAML 1.2's core schema says.</summary>
    static JsonNode? ToJson(object? node) => node switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToJson(kv.Value)))),
        IList<object?> list => new JsonArray(list.Select(ToJson).ToArray()),
        string s when s is "null" or "~" or "" => null,
        string s when bool.TryParse(s, out var b) => JsonValue.Create(b),
        string s when long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        string s when double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => JsonValue.Create(d), // 1e400 stays text: JSON has no infinity
        _ => JsonValue.Create(node.ToString()),
    };

    static void Overlay(JsonObject target, JsonObject layer, string source, Dictionary<string, string> sources)
    {
        foreach (var (key, value) in layer)
        {
            if (key == "method_options" && value is JsonObject options)
            {
                var into = target["method_options"] as JsonObject ?? new JsonObject();
                foreach (var (k, v) in options) into[k] = v is null ? null : JsonValue.Create(v.ToString());
                target["method_options"] = into;
                continue;
            }
            target[key] = value?.DeepClone();
            sources[key] = source;
        }
    }

    static HashSet<string> KnownKeys() =>
        JsonSerializer.SerializeToNode(new RunConfig(), RunConfig.Json)!.AsObject().Select(p => p.Key).ToHashSet();

    static string? Str(JsonObject? o, string key) => o is not null && o.TryGetPropertyValue(key, out var v) && v is not null ? v.ToString() : null;

    /// <summary>Checks the values' ranges; <paramref name="where"/> prefixes an error with the run file and line that set the key, if one did.</summary>
    static RunConfig Validate(RunConfig c, Func<string, string> where)
    {
        void Check(bool ok, string key, object value, string expected)
        {
            if (!ok) throw new ArgumentException($"{where(key)}{key}: expected {expected}, got {value}");
        }
        Check(c.Epochs > 0, "epochs", c.Epochs, "a positive number");
        Check(c.BatchSize > 0, "batch_size", c.BatchSize, "a positive number");
        Check(c.LearningRate >= 0 && double.IsFinite(c.LearningRate), "learning_rate", c.LearningRate, "a number ≥ 0");
        Check(c.WeightDecay >= 0, "weight_decay", c.WeightDecay, "a number ≥ 0");
        Check(c.WeightDecayEnd is null or >= 0, "weight_decay_end", c.WeightDecayEnd!, "a number ≥ 0");
        Check(c.WarmupEpochs >= 0, "warmup_epochs", c.WarmupEpochs, "a number ≥ 0");
        Check(c.GradClip >= 0, "grad_clip", c.GradClip, "a number ≥ 0 (0: off)");
        Check(c.LarsEta > 0 && double.IsFinite(c.LarsEta), "lars_eta", c.LarsEta, "a number > 0");
        Check(c.AdamBeta1 is >= 0 and < 1, "adam_beta1", c.AdamBeta1, "a number in [0, 1)");
        Check(c.AdamBeta2 is >= 0 and < 1, "adam_beta2", c.AdamBeta2, "a number in [0, 1)");
        Check(c.MonitorEvery >= 0, "monitor_every", c.MonitorEvery, "a number ≥ 0");
        Check(c.OnlineProbeEvery >= 0, "online_probe_every", c.OnlineProbeEvery, "a number ≥ 0");
        Check(c.OnlineProbeBank > 0, "online_probe_bank", c.OnlineProbeBank, "a positive number");
        Check(c.OnlineProbeTest > 0, "online_probe_test", c.OnlineProbeTest, "a positive number");
        Check(c.CollapseRankFraction is >= 0 and <= 1, "collapse_rank_fraction", c.CollapseRankFraction, "a number in [0, 1]");
        Check(c.CollapseStdThreshold is null or >= 0, "collapse_std_threshold", c.CollapseStdThreshold!, "a number ≥ 0");
        _ = IntensityWindow.Parse(c.Window, $"{where("window")}window");
        _ = Pretraining.PretrainSplitNames(c.PretrainSplits);
        return c;
    }
}
