using System.Globalization;
using System.Text.RegularExpressions;
using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// One depth level of an encoder for fine-tuning: the parameters and modules whose names start with one of
/// <see cref="Prefixes"/>. Stages are ordered from the input (index 0) to the output; a stage's index is its layer id
/// under layer-wise learning-rate decay. <see cref="SharesHeadLayer"/> marks a last stage that sits at the head's
/// layer id (a ViT's final norm, as in MAE's and BEiT's layer decay) instead of one below it.
/// </summary>
public sealed record EncoderStage(string Name, IReadOnlyList<string> Prefixes, bool SharesHeadLayer = false)
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
/// <para>
/// A transformer (parameters under <c>blocks.N</c>, as <see cref="Vit"/>) is split as MAE's and BEiT's layer-wise decay
/// does (MAE util/lr_decay.py get_layer_id_for_vit, BEiT optim_factory.py): <c>embed</c> = everything before the first
/// block (patch embedding, CLS token, positions) with layer id 0, one stage <c>block(N+1)</c> per block with layer id
/// N + 1, and everything after the last block (the final norm) as the last stage, at the head's layer id L + 1
/// (<see cref="EncoderStage.SharesHeadLayer"/>): under decay d a parameter's rate is the head's × d^(L + 1 − id).
/// </para>
/// </summary>
public static partial class FineTuneStages
{
    [GeneratedRegex(@"^(?:conv|bn|norm)(\d+)$")]
    private static partial Regex ConvBlock();

    [GeneratedRegex(@"^layer\d+$")]
    private static partial Regex ResNetLayer();

    [GeneratedRegex(@"^blocks\.(\d+)(?:\.|$)")]
    private static partial Regex TransformerBlock();

    /// <summary>The encoder's stages, input first.</summary>
    public static IReadOnlyList<EncoderStage> Of(Encoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var names = encoder.named_parameters().Select(p => p.name).ToList();
        if (names.Count == 0) throw new ArgumentException($"encoder '{encoder.GetName()}' has no parameters to split into stages");
        var shared = SharedPrefix(names);
        if (names.Any(n => TransformerBlock().IsMatch(n[shared.Length..]))) return TransformerStages(encoder, names, shared);
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

    /// <summary>
    /// embed (all before the first block), block1 … blockL, then everything after the last block as one stage at the
    /// head's layer id. Buffers outside every parameter's prefix (fixed sin-cos positions) belong to embed.
    /// </summary>
    static IReadOnlyList<EncoderStage> TransformerStages(Encoder encoder, List<string> names, string shared)
    {
        var keys = names.Select(n => Key(n, shared)).Distinct().ToList();
        var first = keys.FindIndex(k => TransformerBlock().IsMatch(k[shared.Length..]));
        var embed = keys.Take(first).ToList();
        embed.AddRange(encoder.named_buffers().Select(b => Key(b.name, shared)).Where(k => !keys.Contains(k)).Distinct());
        var stages = new List<EncoderStage>();
        if (embed.Count > 0) stages.Add(new EncoderStage("embed", embed));
        foreach (var key in keys.Skip(first))
            if (TransformerBlock().Match(key[shared.Length..]) is { Success: true } m)
                stages.Add(new EncoderStage($"block{int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1}", [key]));
        var top = keys.Skip(first).Where(k => !TransformerBlock().IsMatch(k[shared.Length..])).ToList();
        if (top.Count > 0) stages.Add(new EncoderStage(string.Join("+", top.Select(k => k[shared.Length..])), top, SharesHeadLayer: true));
        return stages;
    }

    /// <summary>A name's stage key: shared prefix + first segment, or + "blocks.N" inside a transformer's blocks.</summary>
    static string Key(string name, string shared)
    {
        var rest = name[shared.Length..];
        var m = TransformerBlock().Match(rest);
        return shared + (m.Success ? m.Value.TrimEnd('.') : rest.Split('.')[0]);
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
    /// <paramref name="headLr"/> × decay^(H − s), where s is the stage's index (its layer id) and H the head's layer id
    /// (<see cref="HeadLayerId"/>): for CNNs H = stage count, so the last stage has depth 1; for a ViT the final norm
    /// shares the head's id, so block i (1-based) has depth L + 1 − i and the embedding L + 1 (MAE, BEiT).
    /// </summary>
    public static double[] LearningRates(IReadOnlyList<EncoderStage> stages, int frozenStages, double headLr, double backboneFactor, double? layerDecay)
    {
        ArgumentNullException.ThrowIfNull(stages);
        return LearningRates(stages.Count, frozenStages, headLr, backboneFactor, layerDecay, HeadLayerId(stages));
    }

    /// <summary>
    /// <see cref="LearningRates(IReadOnlyList{EncoderStage}, int, double, double, double?)"/> from a stage count;
    /// <paramref name="headLayerId"/> defaults to <paramref name="stageCount"/> (the head one above the last stage).
    /// </summary>
    public static double[] LearningRates(int stageCount, int frozenStages, double headLr, double backboneFactor, double? layerDecay, int? headLayerId = null)
    {
        if (frozenStages < 0 || frozenStages > stageCount)
            throw new ArgumentException($"freeze_stages: expected 0..{stageCount}, got {frozenStages}");
        var top = headLayerId ?? stageCount;
        if (top < stageCount - 1 || top > stageCount)
            throw new ArgumentException($"head layer id: expected {stageCount - 1} or {stageCount} for {stageCount} stages, got {top}");
        var lrs = new double[stageCount];
        for (var s = frozenStages; s < stageCount; s++)
            lrs[s] = layerDecay is { } decay ? headLr * Math.Pow(decay, top - s) : headLr * backboneFactor;
        return lrs;
    }

    /// <summary>The head's layer id: the last stage's index when it shares the head's layer (a ViT's final norm), else one above it.</summary>
    public static int HeadLayerId(IReadOnlyList<EncoderStage> stages) =>
        stages.Count > 0 && stages[^1].SharesHeadLayer ? stages.Count - 1 : stages.Count;

    /// <summary>The stage a parameter or module name belongs to (−1 when none).</summary>
    public static int IndexOf(IReadOnlyList<EncoderStage> stages, string name)
    {
        for (var i = 0; i < stages.Count; i++)
            if (stages[i].Contains(name)) return i;
        return -1;
    }
}
