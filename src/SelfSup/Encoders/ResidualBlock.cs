using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// A ResNet residual unit y = ReLU(F(x) + shortcut(x)) (He et al. 2016). Subclasses build the residual branch F;
/// the shortcut is the identity, or a strided 1×1 conv + BN where the shape changes ("option B" of the paper).
/// </summary>
public abstract class ResidualBlock : nn.Module<Tensor, Tensor>
{
    protected ResidualBlock(string name) : base(name) { }

    /// <summary>The BN that closes the residual branch; setting its γ to 0 makes the block start as the identity.</summary>
    public abstract BatchNorm2d LastNorm { get; }

    /// <summary>Channels of the block's output.</summary>
    public abstract int OutChannels { get; }

    /// <summary>3×3 convolution with padding 1 and no bias (a BN follows, which has its own shift).</summary>
    protected static Conv2d Conv3x3(int inChannels, int outChannels, int stride = 1) =>
        nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);

    protected static Conv2d Conv1x1(int inChannels, int outChannels, int stride = 1) =>
        nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);

    /// <summary>The projection shortcut, or null where input and output shapes already agree.</summary>
    protected static Sequential? Projection(int inChannels, int outChannels, int stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : nn.Sequential(Conv1x1(inChannels, outChannels, stride), nn.BatchNorm2d(outChannels));
}
