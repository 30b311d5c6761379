namespace SelfSup.Encoders;

/// <summary>What every registered encoder is built from (a run's config supplies these).</summary>
/// <param name="InChannels">Channels of the input images.</param>
/// <param name="ImageSize">Side of the (square) model input in pixels.</param>
/// <param name="Width">Base width; 0 picks the encoder's default (64 for ResNets, 32 for the ConvNets, 256 for the MLP).</param>
/// <param name="Stem">ResNet stem, "cifar" or "imagenet"; null picks "cifar" for images ≤ 64 px, else "imagenet".</param>
public sealed record EncoderOptions(int InChannels, int ImageSize, int Width = 0, string? Stem = null);

/// <summary>
/// Encoders by the short names used in configs, the CLI and reports. Tests iterate <see cref="Names"/>, so a new
/// encoder is covered by being registered here.
/// </summary>
public static class EncoderRegistry
{
    static readonly (string Name, Func<EncoderOptions, Encoder> Create)[] Entries =
    [
        ("resnet18", o => new ResNet(ResNetDepth.ResNet18, ResNetFrom(o))),
        ("resnet34", o => new ResNet(ResNetDepth.ResNet34, ResNetFrom(o))),
        ("resnet50", o => new ResNet(ResNetDepth.ResNet50, ResNetFrom(o))),
        ("convnet", o => ConvNetFrom(o, 5)),
        ("convnet8", o => ConvNetFrom(o, 8)),
        ("mlp", MlpFrom),
        ("vit-tiny", o => new Vit(VitNames.Resolve("vit-tiny", null, o))),
        ("vit-small", o => new Vit(VitNames.Resolve("vit-small", null, o))),
        ("vit-base", o => new Vit(VitNames.Resolve("vit-base", null, o))),
    ];

    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>Builds the encoder <paramref name="name"/> (case-insensitive) with fresh initial weights.</summary>
    public static Encoder Create(string name, EncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var key = name.Trim().ToLowerInvariant();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && VitNames.IsVit(key[..slash]))
        {
            Validate(options, key);
            return new Vit(VitNames.Resolve(key[..slash], key[(slash + 1)..], options));
        }
        foreach (var (entry, create) in Entries)
            if (entry == key)
            {
                Validate(options, key);
                return create(options);
            }
        throw new ArgumentException($"encoder: unknown name '{name}'; known encoders: {string.Join(", ", Names)}");
    }

    /// <summary>Whether <see cref="Create"/> accepts <paramref name="name"/>: a registered name, or a ViT size with overrides (see <see cref="VitNames"/>).</summary>
    public static bool IsKnown(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return Names.Contains(key) || (slash > 0 && VitNames.IsVit(key[..slash]));
    }

    static void Validate(EncoderOptions o, string name)
    {
        if (o.InChannels < 1) throw new ArgumentException($"EncoderOptions.InChannels: expected ≥ 1 for {name}, got {o.InChannels}");
        if (o.ImageSize < 1) throw new ArgumentException($"EncoderOptions.ImageSize: expected ≥ 1 for {name}, got {o.ImageSize}");
        if (o.Width < 0) throw new ArgumentException($"EncoderOptions.Width: expected 0 (default) or a positive width for {name}, got {o.Width}");
    }

    static ResNetOptions ResNetFrom(EncoderOptions o)
    {
        var stem = o.Stem is null ? ResNetStems.ForImageSize(o.ImageSize) : ResNetStems.Parse(o.Stem, "EncoderOptions.Stem");
        return new ResNetOptions(InChannels: o.InChannels, Width: o.Width == 0 ? 64 : o.Width, Stem: stem);
    }

    static MlpEncoder MlpFrom(EncoderOptions o)
    {
        if (o.Stem is not null)
            throw new ArgumentException($"EncoderOptions.Stem: mlp has no stem choice (stems: resnet*); leave it unset, got '{o.Stem}'");
        return new MlpEncoder(new MlpEncoderOptions(o.InChannels, o.ImageSize, o.Width == 0 ? 256 : o.Width));
    }

    static ConvNet ConvNetFrom(EncoderOptions o, int layers)
    {
        if (o.Stem is not null)
            throw new ArgumentException($"EncoderOptions.Stem: convnet has no stem choice (stems: resnet*); leave it unset, got '{o.Stem}'");
        return new ConvNet(new ConvNetOptions(InChannels: o.InChannels, Width: o.Width == 0 ? 32 : o.Width, Layers: layers));
    }
}
