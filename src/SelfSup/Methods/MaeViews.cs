using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// MAE's single view (He et al. 2022, appendix A.1): random resized crop with scale (0.2, 1) and a horizontal flip,
/// then per-channel normalisation — no colour augmentation, the masking is the pretext task's corruption.
/// </summary>
public sealed class MaeViews : IViewRecipe
{
    public MaeViews(ViewPipeline pipeline) => Pipeline = pipeline;

    public ViewPipeline Pipeline { get; }

    public static MaeViews ForImages(int imageSize, ChannelStats stats, double cropMinScale = 0.2) =>
        new(new ViewPipeline([new RandomResizedCrop(imageSize, (cropMinScale, 1.0)), new RandomHorizontalFlip(0.5)], stats));

    /// <summary>uint8 [B, C, H, W] → one normalised float32 view, as a one-element array.</summary>
    public Tensor[] Apply(Tensor images, Generator generator)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"MaeViews: images must be uint8 [B, C, H, W], found {images.dtype} with {images.dim()} dimensions");
        using var scope = NewDisposeScope();
        var x = ChannelStats.ToUnitFloat(images, images.device); // [B, C, H, W] in [0, 1]
        return [Pipeline.Apply(x, generator).MoveToOuterDisposeScope()];
    }
}
