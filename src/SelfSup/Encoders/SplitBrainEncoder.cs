using SelfSup.Augment;
using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// The split-brain representation (Zhang, Isola and Efros 2017): two disjoint sub-networks, F1 on the CIE L channel
/// and F2 on the ab channels, whose feature maps are concatenated along the channels, F = {F1, F2}. It takes the
/// run's normalised images [B, C, H, W] (RGB, or gray with C = 1, whose ab is 0), converts them to Lab as
/// <see cref="LightnessEncoder"/> does and gives F1 (L − 50)/100 and F2 ab/110 (the official colorization code's
/// scaling). Both sub-networks must give maps of the same spatial size; <see cref="Pool"/> pools each part with its
/// own network's pooling, so the embedding is F1's embedding followed by F2's. Parameter names are
/// <c>lightness.*</c> and <c>color.*</c>.
/// </summary>
public sealed class SplitBrainEncoder : Encoder
{
    readonly Encoder lightness;
    readonly Encoder color;
    readonly ChannelStats stats;

    /// <param name="lightness">F1, an encoder of one-channel L images whose features are a map [B, D1, h, w].</param>
    /// <param name="color">F2, an encoder of two-channel ab images whose features are a map [B, D2, h, w].</param>
    /// <param name="imageSize">Side of the images, to read the maps' channels once.</param>
    /// <param name="stats">The normalisation of the run's images.</param>
    public SplitBrainEncoder(Encoder lightness, Encoder color, int imageSize, ChannelStats stats) : base(nameof(SplitBrainEncoder))
    {
        ArgumentNullException.ThrowIfNull(lightness);
        ArgumentNullException.ThrowIfNull(color);
        ArgumentNullException.ThrowIfNull(stats);
        LightnessChannels = FeatureMaps.Channels(lightness, 1, imageSize, "split-brain (L network)");
        ColorChannels = FeatureMaps.Channels(color, 2, imageSize, "split-brain (ab network)");
        this.lightness = lightness;
        this.color = color;
        this.stats = stats;
        RegisterComponents();
    }

    /// <summary>F1, the L → ab network.</summary>
    public Encoder Lightness => lightness;

    /// <summary>F2, the ab → L network.</summary>
    public Encoder Color => color;

    /// <summary>Channels D1 of F1's feature map.</summary>
    public int LightnessChannels { get; }

    /// <summary>Channels D2 of F2's feature map.</summary>
    public int ColorChannels { get; }

    public override int EmbeddingDim => lightness.EmbeddingDim + color.EmbeddingDim;

    /// <summary>F2's input [B, 2, H, W] from Lab [B, 3, H, W]: ab/110.</summary>
    public static Tensor ColorInputOf(Tensor lab) => lab.narrow(1, 1, 2).div(Colorization.AbScale);

    /// <summary>F1's map [B, D1, h, w] of the L and F2's map [B, D2, h, w] of the ab of Lab images [B, 3, H, W].</summary>
    public (Tensor Lightness, Tensor Color) FeaturesOfLab(Tensor lab)
    {
        using var scope = NewDisposeScope();
        var fl = lightness.ForwardFeatures(LightnessEncoder.InputOf(lab)); // [B, D1, h, w]
        var fc = color.ForwardFeatures(ColorInputOf(lab));                 // [B, D2, h, w]
        return (fl.MoveToOuterDisposeScope(), fc.MoveToOuterDisposeScope());
    }

    /// <summary>The embedding [B, D] of two maps: F1's pooled map followed by F2's.</summary>
    public Tensor PoolBoth(Tensor lightnessFeatures, Tensor colorFeatures) =>
        cat([lightness.Pool(lightnessFeatures), color.Pool(colorFeatures)], 1);

    /// <summary>F1's and F2's maps concatenated along the channels [B, D1 + D2, h, w].</summary>
    public override Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (fl, fc) = FeaturesOfLab(LightnessEncoder.Lab(x, stats));
        return cat([fl, fc], 1).MoveToOuterDisposeScope();
    }

    public override Tensor Pool(Tensor features)
    {
        if (features.dim() != 4 || features.shape[1] != LightnessChannels + ColorChannels)
            throw new ArgumentException($"{nameof(SplitBrainEncoder)} pool: expected [B, {LightnessChannels + ColorChannels}, h, w], got [{string.Join(", ", features.shape)}]");
        using var scope = NewDisposeScope();
        return PoolBoth(features.narrow(1, 0, LightnessChannels), features.narrow(1, LightnessChannels, ColorChannels)).MoveToOuterDisposeScope();
    }
}
