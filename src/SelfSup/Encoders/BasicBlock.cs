using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>ResNet-18/34 unit: two 3×3 convs; the first one carries the stride.</summary>
public sealed class BasicBlock : ResidualBlock
{
    /// <summary>Output channels per unit of <c>planes</c>.</summary>
    public const int Expansion = 1;

    // Field names follow torchvision so state dicts map key for key.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Sequential? downsample;
    readonly int stride;
    readonly int outChannels;

    public BasicBlock(int inChannels, int planes, int stride = 1) : base(nameof(BasicBlock))
    {
        outChannels = planes * Expansion;
        conv1 = Conv3x3(inChannels, planes, stride);
        this.stride = stride;
        bn1 = nn.BatchNorm2d(planes);
        conv2 = Conv3x3(planes, outChannels);
        bn2 = nn.BatchNorm2d(outChannels);
        downsample = Projection(inChannels, outChannels, stride);
        RegisterComponents();
    }

    public override BatchNorm2d LastNorm => bn2;

    public override int OutChannels => outChannels;

    public override Tensor forward(Tensor x)
    {
        var identity = Shortcut(downsample, x, stride);
        var h = bn1.call(conv1.call(x)).relu_();
        h = bn2.call(conv2.call(h));
        return h.add_(identity).relu_();
    }
}
