using static TorchSharp.torch;

namespace SelfSup.Interop;

/// <summary>
/// Checks a state dict read from a file against the one a target architecture expects, before anything is
/// loaded: every expected key present, no unexpected key, and each tensor's shape and dtype equal. All problems
/// are reported at once, each naming its key as the file spells it.
/// </summary>
public static class StateDictCheck
{
    /// <summary>The problems, one line each (empty when the file fits).</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        var problems = new List<string>();
        foreach (var (key, want) in expected)
        {
            if (!actual.TryGetValue(key, out var got)) { problems.Add($"missing key '{key}' (shape {Shape(want.shape)}, {want.dtype})"); continue; }
            if (!got.shape.SequenceEqual(want.shape)) problems.Add($"'{key}': shape {Shape(got.shape)}, expected {Shape(want.shape)}");
            if (got.dtype != want.dtype) problems.Add($"'{key}': dtype {got.dtype}, expected {want.dtype}");
        }
        foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
            problems.Add($"unexpected key '{key}' (shape {Shape(actual[key].shape)})");
        return problems;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> listing every problem, prefixed by <paramref name="source"/> and the target's name.</summary>
    public static void Validate(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string source, string target)
    {
        var problems = Problems(expected, actual);
        if (problems.Count == 0) return;
        const int Shown = 12;
        var more = problems.Count > Shown ? $"; and {problems.Count - Shown} more" : "";
        throw new InvalidDataException($"{source}: does not fit {target}: {string.Join("; ", problems.Take(Shown))}{more}");
    }

    /// <summary>A shape as PyTorch prints it in lists: [a, b].</summary>
    public static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
