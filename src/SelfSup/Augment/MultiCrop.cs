using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Multi-crop settings (Caron et al. 2020, SwAV §3.2; Caron et al. 2021, DINO §3.1 and its DataAugmentationDINO).
/// Defaults are DINO's: two global crops (scale 0.4–1) and eight local crops (scale 0.05–0.4) at 96/224 of the
/// image size, flip, colour jitter (0.4, 0.4, 0.2, 0.1) with p 0.8, grayscale p 0.2, blur p 1.0 on the first global
/// crop, 0.1 plus solarize 0.2 on the second, 0.5 on the locals. Flat scalar fields, so a method's option binder
/// can override any of them.
/// </summary>
public sealed record MultiCropOptions
{
    /// <summary>DINO's recipe (the defaults).</summary>
    public static MultiCropOptions Dino { get; } = new();

    /// <summary>
    /// SwAV's ImageNet recipe: 2 × (scale 0.14–1) + 6 × (scale 0.05–0.14) crops, SimCLR's colour distortion of
    /// strength 1 (0.8, 0.8, 0.8, 0.2) with p 0.8, grayscale 0.2 and blur p 0.5 on every crop, no solarize.
    /// </summary>
    public static MultiCropOptions Swav { get; } = new()
    {
        GlobalScaleMin = 0.14,
        LocalCrops = 6,
        LocalScaleMin = 0.05,
        LocalScaleMax = 0.14,
        Brightness = 0.8,
        Contrast = 0.8,
        Saturation = 0.8,
        Hue = 0.2,
        FirstGlobalBlurP = 0.5,
        SecondGlobalBlurP = 0.5,
        SecondGlobalSolarizeP = 0,
    };

    /// <summary>Smallest area fraction of a global crop (DINO 0.4; SwAV 0.14).</summary>
    public double GlobalScaleMin { get; init; } = 0.4;
    /// <summary>Largest area fraction of a global crop (1).</summary>
    public double GlobalScaleMax { get; init; } = 1.0;
    /// <summary>Local crops per image (DINO's code default: 8; SwAV: 6). 0 gives the two global views only.</summary>
    public int LocalCrops { get; init; } = 8;
    /// <summary>Smallest area fraction of a local crop (DINO and SwAV: 0.05).</summary>
    public double LocalScaleMin { get; init; } = 0.05;
    /// <summary>Largest area fraction of a local crop (DINO 0.4; SwAV 0.14).</summary>
    public double LocalScaleMax { get; init; } = 0.4;
    /// <summary>
    /// Side of a local crop in pixels. Null: the papers' 96 px at 224 scaled to the image size and rounded to a
    /// multiple of <see cref="LocalSizeMultiple"/> (see <see cref="MultiCrop.DefaultLocalSize"/>).
    /// </summary>
    public int? LocalSize { get; init; }
    /// <summary>
    /// The default local size is rounded to a multiple of this: a ViT's patch size, so a local crop is a whole
    /// number of patches (1: no constraint).
    /// </summary>
    public int LocalSizeMultiple { get; init; } = 1;
    /// <summary>Probability of a horizontal flip per crop (0.5).</summary>
    public double FlipP { get; init; } = 0.5;
    /// <summary>Colour jitter brightness strength (DINO 0.4; SwAV 0.8).</summary>
    public double Brightness { get; init; } = 0.4;
    /// <summary>Colour jitter contrast strength (DINO 0.4; SwAV 0.8).</summary>
    public double Contrast { get; init; } = 0.4;
    /// <summary>Colour jitter saturation strength (DINO 0.2; SwAV 0.8); ignored on 1-channel images.</summary>
    public double Saturation { get; init; } = 0.2;
    /// <summary>Colour jitter hue strength in turns (DINO 0.1; SwAV 0.2); ignored on 1-channel images.</summary>
    public double Hue { get; init; } = 0.1;
    /// <summary>Probability that a crop is colour-jittered at all (0.8).</summary>
    public double JitterP { get; init; } = 0.8;
    /// <summary>Probability that a colour crop is turned gray (0.2).</summary>
    public double GrayscaleP { get; init; } = 0.2;
    /// <summary>Blur probability on the first global crop (DINO 1.0; SwAV 0.5).</summary>
    public double FirstGlobalBlurP { get; init; } = 1.0;
    /// <summary>Blur probability on the second global crop (DINO 0.1; SwAV 0.5).</summary>
    public double SecondGlobalBlurP { get; init; } = 0.1;
    /// <summary>Blur probability on each local crop (DINO and SwAV 0.5).</summary>
    public double LocalBlurP { get; init; } = 0.5;
    /// <summary>Solarize probability on the second global crop (DINO 0.2, as BYOL's second view; SwAV 0).</summary>
    public double SecondGlobalSolarizeP { get; init; } = 0.2;
    /// <summary>
    /// Crops smaller than this (in pixels), and every crop of a 1-channel image, are not blurred: the same rule as
    /// <see cref="ViewPipeline.SimClr"/>'s default, which follows SimCLR dropping blur on CIFAR-sized images.
    /// At 224 px this keeps DINO's recipe exactly (globals 224, locals 96).
    /// </summary>
    public int BlurMinSize { get; init; } = 64;
}

/// <summary>
/// Multi-crop views (SwAV, DINO, iBOT): two global crops at the full image size, then
/// <see cref="MultiCropOptions.LocalCrops"/> local crops at <see cref="LocalSize"/>, in that order. Every crop's box,
/// flip, jitter, grayscale, blur and solarize are drawn per sample from the caller's generator, on the batch's
/// device. The two global crops have their own pipelines (DINO's asymmetric blur and solarize); the local crops share one.
/// </summary>
public sealed class MultiCrop : IViewRecipe
{
    /// <summary>The local size the papers use at 224 px.</summary>
    public const int ReferenceLocalSize = 96;
    /// <summary>The global size the papers use.</summary>
    public const int ReferenceGlobalSize = 224;

    public MultiCrop(int imageSize, int channels, ChannelStats stats, MultiCropOptions? options = null)
    {
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "MultiCrop: image size must be ≥ 1");
        if (channels != 1 && channels != 3)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "MultiCrop: channels must be 1 or 3");
        ArgumentNullException.ThrowIfNull(stats);
        var o = options ?? MultiCropOptions.Dino;
        Validate(o);
        Options = o;
        GlobalSize = imageSize;
        LocalSize = o.LocalSize ?? DefaultLocalSize(imageSize, o.LocalSizeMultiple);
        FirstGlobal = Pipeline(GlobalSize, (o.GlobalScaleMin, o.GlobalScaleMax), o.FirstGlobalBlurP, 0, channels, stats);
        SecondGlobal = Pipeline(GlobalSize, (o.GlobalScaleMin, o.GlobalScaleMax), o.SecondGlobalBlurP, o.SecondGlobalSolarizeP, channels, stats);
        Local = Pipeline(LocalSize, (o.LocalScaleMin, o.LocalScaleMax), o.LocalBlurP, 0, channels, stats);
    }

    public MultiCropOptions Options { get; }

    /// <summary>Side of the global crops: the image size.</summary>
    public int GlobalSize { get; }

    /// <summary>Side of the local crops.</summary>
    public int LocalSize { get; }

    public ViewPipeline FirstGlobal { get; }
    public ViewPipeline SecondGlobal { get; }
    public ViewPipeline Local { get; }

    /// <summary>Views per image: 2 global + the local crops.</summary>
    public int ViewCount => 2 + Options.LocalCrops;

    /// <summary>
    /// The papers' local size scaled to <paramref name="globalSize"/>: round(size · 96 / 224) to the nearest
    /// multiple of <paramref name="multiple"/> (at least one multiple). 224 → 96, 96 → 41, 64 → 27, 32 → 14,
    /// 28 → 12; with multiple 4: 32 → 12, 64 → 28; with multiple 16: 224 → 96.
    /// </summary>
    public static int DefaultLocalSize(int globalSize, int multiple = 1)
    {
        if (globalSize < 1) throw new ArgumentOutOfRangeException(nameof(globalSize), globalSize, "MultiCrop: global size must be ≥ 1");
        if (multiple < 1) throw new ArgumentOutOfRangeException(nameof(multiple), multiple, "MultiCrop: local size multiple must be ≥ 1");
        var scaled = (double)globalSize * ReferenceLocalSize / ReferenceGlobalSize;
        var units = (int)Math.Round(scaled / multiple, MidpointRounding.AwayFromZero);
        return Math.Max(1, units) * multiple;
    }

    /// <summary>uint8 [B, C, H, W] → [global 1, global 2, local 1 … local N], normalised float32 on the batch's device.</summary>
    public Tensor[] Apply(Tensor images, Generator generator)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"MultiCrop: images must be uint8 [B, C, H, W], found {images.dtype} with {images.dim()} dimensions");
        using var scope = NewDisposeScope();
        var x = ChannelStats.ToUnitFloat(images, images.device); // [B, C, H, W] in [0, 1]
        var views = new Tensor[ViewCount];
        views[0] = FirstGlobal.Apply(x, generator);              // [B, C, G, G]
        views[1] = SecondGlobal.Apply(x, generator);             // [B, C, G, G]
        for (var i = 2; i < views.Length; i++)
            views[i] = Local.Apply(x, generator);                // [B, C, L, L]
        foreach (var v in views) v.MoveToOuterDisposeScope();
        return views;
    }

    ViewPipeline Pipeline(int size, (double, double) scale, double blurP, double solarizeP, int channels, ChannelStats stats)
    {
        var o = Options;
        var t = new List<IBatchTransform> { new RandomResizedCrop(size, scale), new RandomHorizontalFlip(o.FlipP) };
        if (channels == 3)
        {
            t.Add(new ColorJitter(o.Brightness, o.Contrast, o.Saturation, o.Hue, o.JitterP));
            t.Add(new RandomGrayscale(o.GrayscaleP));
        }
        else
        {
            t.Add(new ColorJitter(o.Brightness, o.Contrast, 0, 0, o.JitterP));
        }
        if (blurP > 0 && channels == 3 && size >= o.BlurMinSize)
            t.Add(new GaussianBlur(GaussianBlur.KernelSizeFor(size), p: blurP));
        if (solarizeP > 0) t.Add(new Solarize(0.5, solarizeP));
        return new ViewPipeline(t, stats);
    }

    static void Validate(MultiCropOptions o)
    {
        CheckScale(o.GlobalScaleMin, o.GlobalScaleMax, "global_scale");
        CheckScale(o.LocalScaleMin, o.LocalScaleMax, "local_scale");
        if (o.LocalCrops < 0) throw new ArgumentOutOfRangeException(nameof(o.LocalCrops), o.LocalCrops, "MultiCrop: local_crops must be ≥ 0");
        if (o.LocalSize is < 1) throw new ArgumentOutOfRangeException(nameof(o.LocalSize), o.LocalSize, "MultiCrop: local_size must be ≥ 1 (or unset for the default)");
        if (o.LocalSizeMultiple < 1) throw new ArgumentOutOfRangeException(nameof(o.LocalSizeMultiple), o.LocalSizeMultiple, "MultiCrop: local_size_multiple must be ≥ 1");
        if (o.BlurMinSize < 1) throw new ArgumentOutOfRangeException(nameof(o.BlurMinSize), o.BlurMinSize, "MultiCrop: blur_min_size must be ≥ 1");
        foreach (var (p, field) in new[] {
            (o.FlipP, "flip_p"), (o.JitterP, "jitter_p"), (o.GrayscaleP, "grayscale_p"), (o.FirstGlobalBlurP, "first_global_blur_p"),
            (o.SecondGlobalBlurP, "second_global_blur_p"), (o.LocalBlurP, "local_blur_p"), (o.SecondGlobalSolarizeP, "second_global_solarize_p") })
            BatchRandom.CheckProbability(p, nameof(MultiCrop), field);
    }

    static void CheckScale(double min, double max, string field)
    {
        if (!(min > 0 && min <= max && max <= 1))
            throw new ArgumentOutOfRangeException(field, (min, max), $"MultiCrop: {field} must satisfy 0 < min ≤ max ≤ 1, found ({min}, {max})");
    }
}
