using System.Globalization;

namespace SelfSup.Encoders;

/// <summary>
/// Registry names of the ViTs: <c>vit-tiny</c>, <c>vit-small</c>, <c>vit-base</c>, optionally followed by
/// '/'-separated overrides: <c>p&lt;N&gt;</c> patch size (a bare number also means the patch size), <c>d&lt;N&gt;</c>
/// depth, <c>h&lt;N&gt;</c> heads, <c>mean</c> (mean-pooled patch tokens), <c>nocls</c> (no CLS token, mean-pooled). Examples: <c>vit-tiny/2</c> (patch 2), <c>vit-tiny/p4/d6</c> (6 blocks).
/// The width comes from <see cref="EncoderOptions.Width"/> (0: the size's own D); heads default to D/64 as in the
/// named sizes. The patch defaults to <see cref="VitOptions.DefaultPatchSize"/>.
/// </summary>
public static class VitNames
{
    public static IReadOnlyList<string> Sizes { get; } = ["vit-tiny", "vit-small", "vit-base"];

    /// <summary>Whether <paramref name="baseName"/> (lower case, without overrides) is a ViT size.</summary>
    public static bool IsVit(string baseName) => Sizes.Contains(baseName);

    /// <summary>Whether an encoder name with its overrides ("vit-tiny/p4", "ViT-Small") names a ViT; false for null.</summary>
    public static bool IsVitEncoder(string? name) => name is not null && IsVit(name.Split('/')[0].Trim().ToLowerInvariant());

    /// <summary>
    /// <paramref name="name"/> (a ViT name with its overrides) pooling its tokens as <paramref name="pool"/> says: with
    /// or without the <c>mean</c> override. Pooling has no weights, so a checkpoint loads into either. A name that is not
    /// a ViT, or CLS pooling of a ViT without a CLS token, is an error naming <paramref name="field"/>.
    /// </summary>
    public static string WithPool(string name, VitPool pool, string field)
    {
        if (!IsVitEncoder(name))
            throw new ArgumentException($"{field}: pooling applies to ViT encoders (vit-tiny, vit-small, vit-base); the encoder is '{name}'");
        var parts = name.Split('/').Where(p => p.Trim() != "mean").ToList();
        if (parts.Any(p => p.Trim() == "nocls"))
        {
            if (pool == VitPool.Cls) throw new ArgumentException($"{field}: the ViT '{name}' has no CLS token to pool; expected mean");
            return string.Join('/', parts);
        }
        if (pool == VitPool.Mean) parts.Add("mean");
        return string.Join('/', parts);
    }

    /// <summary>The options a ViT name with its overrides (e.g. "p4/d6", or null) describes.</summary>
    public static VitOptions Resolve(string baseName, string? overrides, EncoderOptions o)
    {
        var preset = baseName switch
        {
            "vit-tiny" => VitOptions.Tiny(o.InChannels, o.ImageSize, VitOptions.DefaultPatchSize(o.ImageSize)),
            "vit-small" => VitOptions.Small(o.InChannels, o.ImageSize, VitOptions.DefaultPatchSize(o.ImageSize)),
            "vit-base" => VitOptions.Base(o.InChannels, o.ImageSize, VitOptions.DefaultPatchSize(o.ImageSize)),
            _ => throw new ArgumentException($"encoder: '{baseName}' is not a ViT size; expected one of {string.Join(", ", Sizes)}"),
        };
        if (o.Stem is not null)
            throw new ArgumentException($"EncoderOptions.Stem: {baseName} has no stem choice (stems: resnet*); leave it unset, got '{o.Stem}'");
        var dim = o.Width == 0 ? preset.Dim : o.Width;
        int? heads = null;
        var options = preset with { Dim = dim };
        foreach (var part in (overrides ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "mean") { options = options with { Pool = VitPool.Mean }; continue; } // mean-pooled patch tokens
            if (part == "nocls") { options = options with { ClassToken = false, Pool = VitPool.Mean }; continue; } // no CLS token, mean-pooled (I-JEPA)
            var (key, digits) = char.IsDigit(part[0]) ? ('p', part) : (part[0], part[1..]);
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new ArgumentException($"encoder '{baseName}/{overrides}': override '{part}' must be p<N>, d<N>, h<N> or a bare patch size, with N ≥ 1");
            options = key switch
            {
                'p' => options with { PatchSize = n },
                'd' => options with { Depth = n },
                'h' => options,
                _ => throw new ArgumentException($"encoder '{baseName}/{overrides}': unknown override '{part}'; expected p<N> (patch), d<N> (depth) or h<N> (heads)"),
            };
            if (key == 'h') heads = n;
        }
        return options with { Heads = heads ?? Math.Max(1, dim / 64) };
    }
}
