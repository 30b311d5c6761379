using SelfSup.Augment;
using SelfSup.Encoders;

namespace SelfSup.Methods;

/// <summary>What a method needs to build itself and its views for one run.</summary>
/// <param name="Encoder">The encoder to pretrain, freshly initialised from the run's seed.</param>
/// <param name="CreateEncoder">Builds another encoder of the same architecture (e.g. a momentum teacher's copy).</param>
/// <param name="ImageSize">Side of the (square) training images.</param>
/// <param name="Channels">Channels of the training images.</param>
/// <param name="Stats">Per-channel statistics of the training images, used by view recipes to normalise.</param>
/// <param name="Overrides">Method options as key → value (from `--set` or the run file).</param>
public sealed record MethodContext(Encoder Encoder, Func<Encoder> CreateEncoder, int ImageSize, int Channels, ChannelStats Stats, IReadOnlyDictionary<string, string> Overrides)
{
    /// <summary>
    /// Rows of the training dataset when known (0 otherwise): sizes per-row state saved in checkpoints, such as
    /// DeepCluster's pseudo-labels, so a checkpoint loads into a method built from its config.
    /// </summary>
    public int TrainImages { get; init; }

    /// <summary>
    /// The run's captions file (<see cref="Data.ImageCaptions"/>), whose images are the training rows and whose captions
    /// a method reading text (CLIP) pairs with them; null when the run has none.
    /// </summary>
    public string? Captions { get; init; }

    /// <summary>
    /// Builds another encoder of the run's architecture from the run's encoder options changed by the given function
    /// (e.g. other input channels or a narrower width, for methods made of sub-networks such as split-brain); null
    /// where the context was built by hand without it.
    /// </summary>
    public Func<Func<EncoderOptions, EncoderOptions>, Encoder>? CreateEncoderWith { get; init; }
}

/// <summary>
/// One registered method: its short name (used by CLI, configs and reports), family, paper, recipe, default options
/// and builders. Build one with <see cref="Of{TOptions}"/>, which binds the options once per builder call.
/// </summary>
public sealed record MethodInfo(
    string Name,
    string Family,
    string Paper,
    string Summary,
    Recipe Recipe,
    object DefaultOptions,
    Func<MethodContext, SslMethod> Create,
    Func<MethodContext, IViewRecipe> CreateViews)
{
    /// <summary>
    /// The encoder name the method actually builds from the run's name: the identity, or an architectural variant
    /// the method's paper requires (I-JEPA's ViT has no CLS token). The random-init twin is built the same way.
    /// </summary>
    public Func<string, string> EncoderName { get; init; } = name => name;

    /// <summary>
    /// The input channels of the encoder the method builds from the run's: the identity, or fewer where the method's
    /// encoder sees part of the image (colorization's sees the L channel only, behind its own conversion).
    /// </summary>
    public Func<int, int> EncoderChannels { get; init; } = channels => channels;

    /// <summary>
    /// The recipe on a CNN where the paper trains CNNs differently from ViTs (MoCo v3: LARS for ResNet-50, AdamW for
    /// ViTs); null: <see cref="Recipe"/> for every encoder. <see cref="RecipeFor"/> picks one.
    /// </summary>
    public Recipe? CnnRecipe { get; init; }

    /// <summary>The recipe of a run on <paramref name="encoder"/> (a registry name: "resnet18", "vit-tiny/p4").</summary>
    public Recipe RecipeFor(string? encoder) => CnnRecipe is { } cnn && !VitNames.IsVitEncoder(encoder) ? cnn : Recipe;

    /// <summary>Whether the method's paper fine-tunes a ViT on its mean patch token with an fc_norm (MAE, BEiT), whatever it probes.</summary>
    public bool FineTuneGlobalPool { get; init; }

    /// <summary>
    /// Builds a text method (<see cref="TextMethod"/>); null for image methods. A text method's <see cref="Create"/>
    /// and <see cref="CreateViews"/> throw: it is built from a tokenizer, not an image encoder, and makes no views.
    /// </summary>
    public Func<TextMethodContext, TextMethod>? CreateText { get; init; }

    /// <summary>Whether the method trains on text (<see cref="CreateText"/>) rather than images.</summary>
    public bool IsText => CreateText is not null;

    /// <summary>A text method whose typed options record <typeparamref name="TOptions"/> is bound from the context's overrides.</summary>
    public static MethodInfo OfText<TOptions>(string name, string family, string paper, string summary, Recipe recipe, TOptions defaults,
        Func<TextMethodContext, TOptions, TextMethod> create) where TOptions : class =>
        new(name, family, paper, summary, recipe, defaults,
            _ => throw new ArgumentException($"{name} is a text method: it trains on a text corpus with a tokenizer, not on images"),
            _ => throw new ArgumentException($"{name} is a text method: it makes no image views"))
        {
            CreateText = ctx => create(ctx, OptionBinder.Bind(defaults, ctx.Overrides, name)),
        };

    /// <summary>A method whose typed options record <typeparamref name="TOptions"/> is bound from the context's overrides.</summary>
    public static MethodInfo Of<TOptions>(string name, string family, string paper, string summary, Recipe recipe, TOptions defaults,
        Func<MethodContext, TOptions, SslMethod> create, Func<MethodContext, TOptions, IViewRecipe> views) where TOptions : class =>
        new(name, family, paper, summary, recipe, defaults,
            ctx => create(ctx, OptionBinder.Bind(defaults, ctx.Overrides, name)),
            ctx => views(ctx, OptionBinder.Bind(defaults, ctx.Overrides, name)));
}

/// <summary>Every method the library knows, by name.</summary>
public static class MethodRegistry
{
    static readonly Dictionary<string, MethodInfo> Methods = new(StringComparer.OrdinalIgnoreCase);

    static MethodRegistry()
    {
        Register(SimClr.Info);
        Register(Triplet.Info);
        Register(Byol.Info);
        Register(SimSiam.Info);
        Register(Mae.Info);
        Register(Beit.Info);
        Register(Ijepa.Info);
        Register(Dino.Info);
        Register(Ibot.Info);
        Register(MocoV2.Info);
        Register(MocoV3.Info);
        Register(Cpc.Info);
        Register(BarlowTwins.Info);
        Register(VicReg.Info);
        Register(Swav.Info);
        Register(DeepCluster.Info);
        Register(Pca.Info);
        Register(Autoencoder.Info);
        Register(DenoisingAutoencoder.Info);
        Register(ContextEncoder.Info);
        Register(Vae.Info);
        Register(Colorization.Info);
        Register(VideoColorization.Info);
        Register(SplitBrain.Info);
        Register(Rotation.Info);
        Register(RelativeLocation.Info);
        Register(Jigsaw.Info);
        Register(Clip.Info);
        Register(Mlm.Info);
    }

    /// <summary>Adds (or replaces) a method under its name.</summary>
    public static void Register(MethodInfo info) => Methods[info.Name] = info;

    public static IReadOnlyList<MethodInfo> All => Methods.Values.OrderBy(m => m.Family).ThenBy(m => m.Name).ToList();

    public static bool IsKnown(string name) => Methods.ContainsKey(name);

    public static MethodInfo Get(string name) => Methods.TryGetValue(name, out var m)
        ? m
        : throw new ArgumentException($"unknown method '{name}'; expected one of: {string.Join(", ", Methods.Keys.Order())}");
}
