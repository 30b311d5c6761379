using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// ResNet-50 unit: 1×1 reduce → 3×3 → 1×1 expand (×4). The stride sits on the 3×3 conv, as in torchvision's
/// "v1.5", which is the variant SSL papers report with.
/// </summary>
public sealed class Bottleneck : ResidualBlock
{
    /// <summary>Output channels per unit of <c>planes</c>.</summary>
    public const int Expansion = 4;

    // Field names follow torchvision so state dicts map key for key.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv3;
    readonly BatchNorm2d bn3;
    readonly Sequential? downsample;
    readonly int stride;
    readonly int outChannels;

    public Bottleneck(int inChannels, int planes, int stride = 1) : base(nameof(Bottleneck))
    {
        outChannels = planes * Expansion;
        conv1 = Conv1x1(inChannels, planes);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = Conv3x3(planes, planes, stride);
        this.stride = stride;
        bn2 = nn.BatchNorm2d(planes);
        conv3 = Conv1x1(planes, outChannels);
        bn3 = nn.BatchNorm2d(outChannels);
        downsample = Projection(inChannels, outChannels, stride);
        RegisterComponents();
    }

    public override BatchNorm2d LastNorm => bn3;

    public override int OutChannels => outChannels;

    public override Tensor forward(Tensor x)
    {
        var identity = Shortcut(downsample, x, stride);
        var h = bn1.call(conv1.call(x)).relu_();
        h = bn2.call(conv2.call(h)).relu_();
        h = bn3.call(conv3.call(h));
        return h.add_(identity).relu_();
    }
}
