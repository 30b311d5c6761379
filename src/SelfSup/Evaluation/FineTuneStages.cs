using System.Text.RegularExpressions;
using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// One depth level of an encoder for fine-tuning: the parameters and modules whose names start with one of
/// <see cref="Prefixes"/>. Stages are ordered from the input (index 0) to the output.
/// </summary>
public sealed record EncoderStage(string Name, IReadOnlyList<string> Prefixes)
{
    /// <summary>True when a parameter or module name lies under this stage.</summary>
    public bool Contains(string name) => Prefixes.Any(p => name == p || name.StartsWith(p + ".", StringComparison.Ordinal));
}

/// <summary>
/// Splits any encoder into ordered stages from its parameter names alone, so freezing the first K stages and
/// layer-wise learning rates work without a per-architecture interface. Rules, applied in parameter order:
/// a container prefix shared by every parameter is skipped (the ConvNet's <c>features.</c>); <c>layerN</c> is one
/// stage (ResNet); <c>convN</c>/<c>bnN</c> pairs form stage <c>blockN</c> (ConvNet: block1..block5, or ..block8); anything
/// before the first <c>layerN</c> in an encoder that has them is the <c>stem</c> (ResNet: conv1, bn1); any other
/// leading name is a stage of its own.
/// </summary>
public static partial class FineTuneStages
{
    [GeneratedRegex(@"^(?:conv|bn|norm)(\d+)$")]
    private static partial Regex ConvBlock();

    [GeneratedRegex(@"^layer\d+$")]
    private static partial Regex ResNetLayer();

    /// <summary>The encoder's stages, input first.</summary>
    public static IReadOnlyList<EncoderStage> Of(Encoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var names = encoder.named_parameters().Select(p => p.name).ToList();
        if (names.Count == 0) throw new ArgumentException($"encoder '{encoder.GetName()}' has no parameters to split into stages");
        var shared = SharedPrefix(names);
        var keys = new List<(string Stage, string Prefix)>();
        foreach (var name in names)
        {
            var rest = name[shared.Length..];
            var head = rest.Split('.')[0];
            var prefix = shared + head;
            var m = ConvBlock().Match(head);
            var stage = m.Success ? "block" + m.Groups[1].Value : head;
            if (keys.Count == 0 || keys[^1].Prefix != prefix) keys.Add((stage, prefix));
        }
        if (keys.Any(k => ResNetLayer().IsMatch(k.Stage)))
        {
            var first = keys.FindIndex(k => ResNetLayer().IsMatch(k.Stage));
            for (var i = 0; i < first; i++) keys[i] = ("stem", keys[i].Prefix);
        }
        var stages = new List<EncoderStage>();
        foreach (var group in keys.GroupBy(k => k.Stage))
            stages.Add(new EncoderStage(group.Key, group.Select(k => k.Prefix).Distinct().ToArray()));
        return stages;
    }

    /// <summary>The leading dotted segments that every name shares and that are not the whole name ("features.").</summary>
    static string SharedPrefix(List<string> names)
    {
        var parts = names.Select(n => n.Split('.')).ToList();
        var shared = "";
        for (var depth = 0; ; depth++)
        {
            if (parts.Any(p => p.Length <= depth + 1)) return shared;
            var seg = parts[0][depth];
            if (parts.Any(p => p[depth] != seg)) return shared;
            shared += seg + ".";
        }
    }

    /// <summary>
    /// Learning rate of every stage, input first: stages below <paramref name="frozenStages"/> get 0; the rest get
    /// <paramref name="headLr"/> × <paramref name="backboneFactor"/>, or with <paramref name="layerDecay"/> set,
    /// <paramref name="headLr"/> × decay^d where d is the depth from the top (the last stage has d = 1, the head d = 0).
    /// </summary>
    public static double[] LearningRates(int stageCount, int frozenStages, double headLr, double backboneFactor, double? layerDecay)
    {
        if (frozenStages < 0 || frozenStages > stageCount)
            throw new ArgumentException($"freeze_stages: expected 0..{stageCount}, got {frozenStages}");
        var lrs = new double[stageCount];
        for (var s = frozenStages; s < stageCount; s++)
            lrs[s] = layerDecay is { } decay ? headLr * Math.Pow(decay, stageCount - s) : headLr * backboneFactor;
        return lrs;
    }

    /// <summary>The stage a parameter or module name belongs to (−1 when none).</summary>
    public static int IndexOf(IReadOnlyList<EncoderStage> stages, string name)
    {
        for (var i = 0; i < stages.Count; i++)
            if (stages[i].Contains(name)) return i;
        return -1;
    }
}
