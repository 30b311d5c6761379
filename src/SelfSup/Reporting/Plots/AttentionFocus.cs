using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace SelfSup.Reporting.Plots;

/// <summary>
/// How concentrated CLS attention maps are, averaged over images and heads: the entropy of each map divided by the
/// entropy of a uniform map (1: attends everywhere alike; lower: picks out a region), and the share of attention on
/// the central square of half the grid's side (a quarter of the patches; on object-centred images such as CIFAR-10,
/// above 0.25 means the heads look at the object more than at the background).
/// </summary>
public sealed record AttentionFocus(
    [property: JsonPropertyName("normalised_entropy")] double NormalisedEntropy,
    [property: JsonPropertyName("central_mass")] double CentralMass,
    [property: JsonPropertyName("central_area")] double CentralArea)
{
    /// <summary>The focus of maps [N, heads, h, w], each a distribution over the h·w patches.</summary>
    public static AttentionFocus Of(Tensor maps)
    {
        if (maps.dim() != 4) throw new ArgumentException($"attention focus: expected maps [N, heads, h, w], got [{string.Join(", ", maps.shape)}]");
        using var scope = NewDisposeScope();
        var (h, w) = (maps.shape[2], maps.shape[3]);
        var p = maps.to(ScalarType.Float64).flatten(2);                          // [N, heads, h·w]
        p = p / p.sum(-1, keepdim: true);
        var entropy = -(p * p.clamp_min(1e-30).log()).sum(-1);                  // [N, heads]
        var normalised = (entropy / Math.Log(h * w)).mean().item<double>();
        var (ch, cw) = (Math.Max(1, h / 2), Math.Max(1, w / 2));
        var central = maps.to(ScalarType.Float64).narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw).sum([2L, 3L])
            / maps.to(ScalarType.Float64).sum([2L, 3L]);                          // [N, heads]
        return new AttentionFocus(Math.Round(normalised, 4), Math.Round(central.mean().item<double>(), 4), Math.Round((double)(ch * cw) / (h * w), 4));
    }
}
