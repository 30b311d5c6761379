using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>Construction options of a <see cref="ConvNet"/>.</summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="Width">Base width w: the five convs have w, w, 2w, 2w, 4w channels (32 → embedding 128).</param>
/// <param name="UseChannelsLast">On CPU, convert the input to channels-last (NHWC) storage so that every convolution
/// runs in that layout (same results, faster with oneDNN); weights keep the standard layout.</param>
/// <param name="Layers">5 (the default) or 8. Eight layers add a third pool and two 8w convs (w, w, 2w, 2w, 4w, 4w,
/// 8w, 8w; 32 → embedding 256), so a 28×28 input ends as a 3×3 map whose units see the whole image.</param>
public sealed record ConvNetOptions(int InChannels = 1, int Width = 32, bool UseChannelsLast = true, int Layers = 5);

/// <summary>
/// A small VGG-style CNN for 28×28 to 64×64 inputs (MNIST-like data, quick demos): five 3×3 conv-BN-ReLU layers
/// with a 2×2 max-pool after the second and the fourth, so a 28×28 input ends as a 7×7 map of 4w channels.
/// Cheap enough to pretrain on CPU in minutes. The eight-layer variant (<c>convnet8</c>) pools once more and ends
/// with two 8w convs: about 1.7× the multiply-adds of the five-layer net at the same width (28 px, counted per
/// layer), with twice the embedding.
/// </summary>
public sealed class ConvNet : Encoder
{
    readonly Sequential features;
    readonly int embeddingDim;
    readonly int inChannels;
    readonly bool useChannelsLast;

    public ConvNet(ConvNetOptions options) : base(nameof(ConvNet))
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InChannels < 1) throw new ArgumentException($"ConvNetOptions.InChannels: expected ≥ 1, got {options.InChannels}");
        if (options.Width < 1) throw new ArgumentException($"ConvNetOptions.Width: expected ≥ 1, got {options.Width}");
        if (options.Layers is not (5 or 8)) throw new ArgumentException($"ConvNetOptions.Layers: expected 5 or 8, got {options.Layers}");
        inChannels = options.InChannels;
        useChannelsLast = options.UseChannelsLast;
        Width = options.Width;
        int w = options.Width;

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int c = inChannels;
        void ConvBnRelu(int index, int outChannels)
        {
            layers.Add(($"conv{index}", ConvolutionGuard.Conv2d(c, outChannels, 3, padding: 1, bias: false)));
            layers.Add(($"bn{index}", nn.BatchNorm2d(outChannels)));
            layers.Add(($"relu{index}", nn.ReLU(inplace: true)));
            c = outChannels;
        }
        ConvBnRelu(1, w);
        ConvBnRelu(2, w);
        layers.Add(("pool2", nn.MaxPool2d(kernel_size: 2, stride: 2)));
        ConvBnRelu(3, 2 * w);
        ConvBnRelu(4, 2 * w);
        layers.Add(("pool4", nn.MaxPool2d(kernel_size: 2, stride: 2)));
        ConvBnRelu(5, 4 * w);
        if (options.Layers == 8)
        {
            ConvBnRelu(6, 4 * w);
            layers.Add(("pool6", nn.MaxPool2d(kernel_size: 2, stride: 2)));
            ConvBnRelu(7, 8 * w);
            ConvBnRelu(8, 8 * w);
        }
        features = nn.Sequential(layers);
        embeddingDim = c;
        RegisterComponents();

        ConvInit.Apply(this);
    }

    /// <summary>The base width w the convolutions are built from (w, 2w, 4w, 8w channels).</summary>
    public int Width { get; }

    public override int EmbeddingDim => embeddingDim;

    public override Tensor ForwardFeatures(Tensor x)
    {
        EncoderInput.Check(x, inChannels, nameof(ConvNet));
        using var scope = NewDisposeScope();
        if (useChannelsLast && x.device_type == DeviceType.CPU) x = ChannelsLast.Of(x);
        return features.call(x).MoveToOuterDisposeScope(); // [B, 4w, H/4, W/4]; eight layers: [B, 8w, H/8, W/8]
    }

    public override Tensor Pool(Tensor features) => EncoderInput.GlobalAveragePool(features, nameof(ConvNet));
}
