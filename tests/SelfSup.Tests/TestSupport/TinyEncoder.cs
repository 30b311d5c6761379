using SelfSup.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Tests.TestSupport;

/// <summary>A conv–BN–ReLU–pool encoder small enough for fast trainer and method tests.</summary>
public sealed class TinyEncoder : Encoder
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;

    public TinyEncoder(int channels = 1, int width = 8) : base(nameof(TinyEncoder))
    {
        conv = nn.Conv2d(channels, width, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(width);
        EmbeddingDim = width;
        RegisterComponents();
    }

    public override int EmbeddingDim { get; }
    public Conv2d Conv => conv;
    public BatchNorm2d Bn => bn;

    public override Tensor ForwardFeatures(Tensor x) => nn.functional.relu(bn.forward(conv.forward(x)));

    public override Tensor Pool(Tensor features) => features.mean([2L, 3L]);
}

/// <summary>Small synthetic image datasets for tests that need no real data.</summary>
public static class SyntheticData
{
    /// <summary>N random uint8 images [N, C, S, S] with labels i mod classes, from a fixed seed.</summary>
    public static SelfSup.Data.ImageDataset Random(int n, int channels = 1, int size = 8, int classes = 2, int seed = 0)
    {
        using var g = new Generator((ulong)seed);
        var images = randint(0, 256, [n, channels, size, size], generator: g).to(ScalarType.Byte);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray();
        return new SelfSup.Data.ImageDataset("synthetic", images, labels);
    }
}
