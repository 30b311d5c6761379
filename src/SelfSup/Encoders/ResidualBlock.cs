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
        ConvolutionGuard.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);

    protected static Conv2d Conv1x1(int inChannels, int outChannels) =>
        ConvolutionGuard.Conv2d(inChannels, outChannels, 1, bias: false);

    /// <summary>
    /// The projection shortcut (1×1 conv + BN, state-dict keys <c>downsample.0</c>/<c>downsample.1</c> as in
    /// torchvision), or null where input and output shapes already agree. Its conv has stride 1: <see cref="Shortcut"/>
    /// takes every stride-th pixel first, which is the same map as a strided 1×1 conv.
    /// </summary>
    protected static Sequential? Projection(int inChannels, int outChannels, int stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : nn.Sequential(Conv1x1(inChannels, outChannels), nn.BatchNorm2d(outChannels));

    /// <summary>
    /// The shortcut's output: <paramref name="x"/> itself, or the projection of its every stride-th pixel.
    /// Why not a strided 1×1 conv: libtorch 2.10's oneDNN computes that conv's weight gradient wrongly, or corrupts
    /// the heap, when the input is channels-last with 2–15 channels (it writes past its subsampling workspace;
    /// uxlfoundation/oneDNN#6035). Subsampling first gives the same values and gradients on every backend.
    /// </summary>
    protected static Tensor Shortcut(Sequential? projection, Tensor x, int stride)
    {
        if (projection is null) return x;
        if (stride == 1) return projection.call(x);
        using var rows = x.slice(2, 0, x.shape[2], stride);
        using var pixels = rows.slice(3, 0, x.shape[3], stride);
        return projection.call(pixels);
    }
}
