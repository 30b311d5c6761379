using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>Placeholder two-view recipe (flip only); replaced by the full SimCLR pipeline.</summary>
public sealed class TwoViews(ChannelStats stats) : IViewRecipe
{
    public static TwoViews ForImages(int imageSize, int channels, ChannelStats stats) => new(stats);

    public Tensor[] Apply(Tensor images, Generator generator)
    {
        using var x = ChannelStats.ToUnitFloat(images, images.device);
        return [stats.Normalize(x), stats.Normalize(x.flip(3))];
    }
}
