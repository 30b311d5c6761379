using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Two independently augmented views of each image, the input of SimCLR, BYOL, MoCo, SimSiam, Barlow Twins and
/// VICReg. The views may come from one pipeline (two independent draws) or two different ones (BYOL's asymmetric
/// blur and solarize).
/// </summary>
public sealed class TwoViews : IViewRecipe
{
    public ViewPipeline First { get; }
    public ViewPipeline Second { get; }

    public TwoViews(ViewPipeline first, ViewPipeline second)
    {
        First = first;
        Second = second;
    }

    /// <summary>SimCLR's defaults for <paramref name="imageSize"/>-pixel images (see <see cref="ViewPipeline.SimClr"/>).</summary>
    public static TwoViews ForImages(int imageSize, int channels, ChannelStats stats, double cropMinScale = 0.08)
    {
        var p = ViewPipeline.SimClr(imageSize, channels, stats, cropMinScale: cropMinScale);
        return new TwoViews(p, p);
    }

    /// <summary>
    /// BYOL's asymmetric pair (<see cref="ViewPipeline.Byol"/>): blur with p 1.0 on the first view and 0.1 on the
    /// second, solarize with p 0 and 0.2. Barlow Twins and VICReg use the same pair.
    /// </summary>
    public static TwoViews Byol(int imageSize, int channels, ChannelStats stats, double cropMinScale = 0.08) => new(
        ViewPipeline.Byol(imageSize, channels, stats, blurP: 1.0, solarizeP: 0, cropMinScale),
        ViewPipeline.Byol(imageSize, channels, stats, blurP: 0.1, solarizeP: 0.2, cropMinScale));

    /// <summary>uint8 [B, C, H, W] → two normalised float32 views on the batch's device.</summary>
    public Tensor[] Apply(Tensor images, Generator generator)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"TwoViews: images must be uint8 [B, C, H, W], found {images.dtype} with {images.dim()} dimensions");
        using var scope = NewDisposeScope();
        var x = ChannelStats.ToUnitFloat(images, images.device); // [B, C, H, W] in [0, 1]
        var a = First.Apply(x, generator);
        var b = Second.Apply(x, generator);
        return [a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope()];
    }
}
