using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// An encoder of the CIE L channel alone (colorization, Zhang et al. 2016): it takes the run's normalised images
/// [B, C, H, W] (RGB, or gray with C = 1), un-normalises them, converts them to Lab and gives the inner one-channel
/// encoder L centred and scaled as (L − 50)/100, as the official colorization code does. Whatever sees this encoder
/// (evaluation, embedding, fine-tuning) therefore sees the lightness of its images, as the pretext task did.
/// </summary>
public sealed class LightnessEncoder : Encoder
{
    readonly Encoder inner;
    readonly ChannelStats stats;

    /// <param name="inner">The encoder of one-channel L images.</param>
    /// <param name="stats">The normalisation of the run's images.</param>
    public LightnessEncoder(Encoder inner, ChannelStats stats) : base(nameof(LightnessEncoder))
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(stats);
        this.inner = inner;
        this.stats = stats;
        RegisterComponents();
    }

    /// <summary>L's centre and scale in the inner encoder's input, (L − 50)/100.</summary>
    public const double LightnessCenter = 50, LightnessScale = 100;

    /// <summary>The one-channel encoder behind the conversion.</summary>
    public Encoder Inner => inner;

    public override int EmbeddingDim => inner.EmbeddingDim;

    /// <summary>Lab [B, 3, H, W] of normalised images [B, C, H, W], C = 1 (gray) or 3 (RGB), clamped to [0, 1] first.</summary>
    public static Tensor Lab(Tensor x, ChannelStats stats)
    {
        using var scope = NewDisposeScope();
        var rgb = stats.Denormalize(x).clamp_(0, 1);
        if (rgb.shape[1] == 1) rgb = rgb.expand(-1, 3, -1, -1);
        else if (rgb.shape[1] != 3) throw new ArgumentException($"{nameof(LightnessEncoder)}: expected gray or RGB images, found {rgb.shape[1]} channels");
        return CieLab.RgbToLab(rgb).MoveToOuterDisposeScope();
    }

    /// <summary>The inverse of <see cref="Lab"/>: Lab [B, 3, H, W] → sRGB clamped to [0, 1] → normalised model input with <paramref name="channels"/> channels (gray runs see the luma).</summary>
    public static Tensor ModelInputOf(Tensor lab, ChannelStats stats, long channels)
    {
        using var scope = NewDisposeScope();
        var rgb = CieLab.LabToRgb(lab).clamp_(0, 1);
        return stats.Normalize(channels == 1 ? ColorSpace.Grayscale(rgb) : rgb).MoveToOuterDisposeScope();
    }

    /// <summary>The inner encoder's input [B, 1, H, W] from Lab [B, 3, H, W]: (L − 50)/100.</summary>
    public static Tensor InputOf(Tensor lab) => lab.narrow(1, 0, 1).sub(LightnessCenter).div_(LightnessScale);

    public override Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        return inner.ForwardFeatures(InputOf(Lab(x, stats))).MoveToOuterDisposeScope();
    }

    public override Tensor Pool(Tensor features) => inner.Pool(features);
}
