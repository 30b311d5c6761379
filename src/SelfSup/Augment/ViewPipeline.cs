using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// One view: a sequence of batch transforms on a float batch in [0, 1], ended by per-channel normalisation.
/// A pipeline holds no random state, so one instance can make several independent views.
/// </summary>
public sealed class ViewPipeline
{
    public IReadOnlyList<IBatchTransform> Transforms { get; }
    public ChannelStats Stats { get; }

    public ViewPipeline(IReadOnlyList<IBatchTransform> transforms, ChannelStats stats)
    {
        Transforms = transforms;
        Stats = stats;
    }

    /// <summary>
    /// SimCLR's view (Chen et al. 2020, appendix A and B.9): random resized crop (scale 0.08–1) to
    /// <paramref name="imageSize"/>, flip 0.5, colour jitter of strength <paramref name="jitterStrength"/>
    /// (0.8s, 0.8s, 0.8s, 0.2s) with p 0.8, grayscale p 0.2, then blur with probability
    /// <paramref name="blurP"/> (default: 0.5 for colour images of 64 px and more; none below, where the paper
    /// drops it on CIFAR, nor on 1-channel images) and solarize with probability <paramref name="solarizeP"/>
    /// (BYOL's asymmetric views set both). 1-channel images get crop, flip and brightness/contrast jitter
    /// (plus blur or solarize only when asked for).
    /// </summary>
    public static ViewPipeline SimClr(int imageSize, int channels, ChannelStats stats,
        double jitterStrength = 0.5, double? blurP = null, double solarizeP = 0, double cropMinScale = 0.08) =>
        Build(imageSize, channels, stats, ColorJitter.SimClr(jitterStrength), blurP ?? (imageSize >= 64 && channels == 3 ? 0.5 : 0), solarizeP, cropMinScale, nameof(SimClr));

    /// <summary>
    /// One of BYOL's two views (Grill et al. 2020, appendix B, Table 6; deepmind-research byol/utils/augmentations.py):
    /// random resized crop (scale 0.08–1), flip 0.5, colour jitter (brightness 0.4, contrast 0.4, saturation 0.2,
    /// hue 0.1) with p 0.8, grayscale p 0.2, blur (σ 0.1–2, kernel ≈ 10 % of the side) with probability
    /// <paramref name="blurP"/> and solarize with probability <paramref name="solarizeP"/>. The paper's views are
    /// asymmetric: blur 1.0 / 0.1, solarize 0 / 0.2. 1-channel images get crop, flip, brightness/contrast jitter,
    /// blur and solarize.
    /// </summary>
    public static ViewPipeline Byol(int imageSize, int channels, ChannelStats stats, double blurP, double solarizeP, double cropMinScale = 0.08) =>
        Build(imageSize, channels, stats, new ColorJitter(0.4, 0.4, 0.2, 0.1, p: 0.8), blurP, solarizeP, cropMinScale, nameof(Byol));

    /// <summary>
    /// MoCo v2's view (Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning"; facebookresearch/moco
    /// <c>--aug-plus</c>): random resized crop (scale 0.2–1), colour jitter (0.4, 0.4, 0.4, 0.1) with p 0.8,
    /// grayscale p 0.2, blur (σ 0.1–2) with probability <paramref name="blurP"/> (0.5), flip 0.5.
    /// </summary>
    public static ViewPipeline MocoV2(int imageSize, int channels, ChannelStats stats, double blurP = 0.5, double cropMinScale = 0.2) =>
        Build(imageSize, channels, stats, new ColorJitter(0.4, 0.4, 0.4, 0.1, p: 0.8), blurP, 0, cropMinScale, nameof(MocoV2));

    /// <summary>Crop, flip, jitter (+ grayscale on colour images), then blur and solarize when their probability is positive.</summary>
    static ViewPipeline Build(int imageSize, int channels, ChannelStats stats, ColorJitter jitter, double blurP, double solarizeP, double cropMinScale, string recipe)
    {
        if (channels != 1 && channels != 3)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"ViewPipeline.{recipe}: channels must be 1 or 3");
        var t = new List<IBatchTransform> { new RandomResizedCrop(imageSize, (cropMinScale, 1.0)), new RandomHorizontalFlip(0.5) };
        if (channels == 3)
        {
            t.Add(jitter);
            t.Add(new RandomGrayscale(0.2));
        }
        else
        {
            t.Add(new ColorJitter(jitter.Brightness, jitter.Contrast, 0, 0, jitter.P));
        }
        if (blurP > 0) t.Add(new GaussianBlur(GaussianBlur.KernelSizeFor(imageSize), p: blurP));
        if (solarizeP > 0) t.Add(new Solarize(0.5, solarizeP));
        return new ViewPipeline(t, stats);
    }

    /// <summary>Float batch [B, C, H, W] in [0, 1] → one normalised view on the same device.</summary>
    public Tensor Apply(Tensor unitFloat, Generator generator)
    {
        BatchRandom.CheckBatch(unitFloat, nameof(ViewPipeline));
        using var scope = NewDisposeScope();
        var x = unitFloat;
        foreach (var t in Transforms)
            x = t.Apply(x, generator);
        return Stats.Normalize(x).MoveToOuterDisposeScope();
    }
}
