using SelfSup.Augment;
using SelfSup.Encoders;

namespace SelfSup.Methods;

/// <summary>What a method needs to build itself and its views for one run.</summary>
/// <param name="Stats">Per-channel statistics of the training images, used by view recipes to normalise.</param>
public sealed record MethodContext(Encoder Encoder, int ImageSize, int Channels, ChannelStats Stats, IReadOnlyDictionary<string, string> Overrides);

/// <summary>One registered method: its short name (used by CLI, configs and reports), family, paper and builders.</summary>
public sealed record MethodInfo(
    string Name,
    string Family,
    string Paper,
    string Summary,
    Func<MethodContext, SslMethod> Create,
    Func<MethodContext, IViewRecipe> CreateViews);

/// <summary>Every method the library knows, by name.</summary>
public static class MethodRegistry
{
    static readonly Dictionary<string, MethodInfo> Methods = new(StringComparer.OrdinalIgnoreCase);

    static MethodRegistry()
    {
        Register(SimClr.Info);
        Register(Mae.Info);
        Register(Beit.Info);
        Register(Ijepa.Info);
    }

    public static void Register(MethodInfo info) => Methods[info.Name] = info;

    public static IReadOnlyList<MethodInfo> All => Methods.Values.OrderBy(m => m.Family).ThenBy(m => m.Name).ToList();

    public static MethodInfo Get(string name) => Methods.TryGetValue(name, out var m)
        ? m
        : throw new ArgumentException($"unknown method '{name}'; expected one of: {string.Join(", ", Methods.Keys.Order())}");
}
