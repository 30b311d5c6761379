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
        double jitterStrength = 0.5, double? blurP = null, double solarizeP = 0, double cropMinScale = 0.08)
    {
        if (channels != 1 && channels != 3)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "ViewPipeline.SimClr: channels must be 1 or 3");
        var jitter = ColorJitter.SimClr(jitterStrength);
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
        var blur = blurP ?? (imageSize >= 64 && channels == 3 ? 0.5 : 0);
        if (blur > 0) t.Add(new GaussianBlur(GaussianBlur.KernelSizeFor(imageSize), p: blur));
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
