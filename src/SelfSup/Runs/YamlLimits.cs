using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SelfSup.Runs;

/// <summary>
/// Refuses YAML that would make building its tree hang, exhaust memory or overflow the stack, by reading the event
/// stream (flat, no recursion) before anything is built: nesting deeper than <see cref="MaxDepth"/> levels, or more
/// than <see cref="MaxNodes"/> nodes once aliases are expanded (the "billion laughs" attack: nine aliases of nine
/// aliases of … a few bytes that expand to 10⁹ nodes). A run file is a flat mapping with a nested `method_options`,
/// far inside both limits.
/// </summary>
internal static class YamlLimits
{
    /// <summary>Deepest nesting of mappings and sequences: half of System.Text.Json's limit of 64, which the settings pass through.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most scalars, mappings and sequences, counting an alias as a copy of what it names.</summary>
    public const long MaxNodes = 100_000;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="origin"/>, the line and the limit exceeded.</summary>
    public static void Check(string text, string origin)
    {
        var parser = new Parser(new StringReader(text));
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal); // anchor → nodes it expands to
        var open = new Stack<(string? Anchor, long NodesBefore)>();
        long nodes = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case Scalar s:
                    nodes++;
                    if (!s.Anchor.IsEmpty) sizes[s.Anchor.Value] = 1;
                    break;
                case NodeEvent start and (MappingStart or SequenceStart):
                    if (open.Count == MaxDepth)
                        throw new InvalidDataException($"{origin}, line {start.Start.Line}: nested deeper than {MaxDepth} levels");
                    open.Push((start.Anchor.IsEmpty ? null : start.Anchor.Value, nodes));
                    nodes++;
                    break;
                case MappingEnd or SequenceEnd:
                    var (anchor, before) = open.Pop();
                    if (anchor is not null) sizes[anchor] = nodes - before;
                    break;
                case AnchorAlias alias:
                    nodes += sizes.GetValueOrDefault(alias.Value.Value, 1);
                    break;
            }
            if (nodes > MaxNodes)
                throw new InvalidDataException(
                    $"{origin}, line {parser.Current!.Start.Line}: more than {MaxNodes:N0} values once aliases are expanded (an alias bomb?)");
        }
    }
}
