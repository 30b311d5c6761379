using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// The view recipe of a clip-based method: each uint8 image [B, C, H, W] becomes a synthetic clip
/// (<see cref="SyntheticClips"/>), its frames normalised with the run's statistics; view 0 is the reference frame.
/// </summary>
public sealed class ClipViews(SyntheticClips clips, ChannelStats stats) : IViewRecipe
{
    public SyntheticClips Clips { get; } = clips;

    public Tensor[] Apply(Tensor images, Generator generator)
    {
        if (images.dim() != 4 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"{nameof(ClipViews)}: images must be uint8 [B, C, H, W], found {images.dtype} with {images.dim()} dimensions");
        using var scope = NewDisposeScope();
        var x = ChannelStats.ToUnitFloat(images, images.device); // [B, C, H, W] in [0, 1]
        return Clips.Apply(x, generator).Select(f => stats.Normalize(f).MoveToOuterDisposeScope()).ToArray();
    }
}
