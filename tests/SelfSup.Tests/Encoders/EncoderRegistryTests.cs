using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class EncoderRegistryTests
{
    public EncoderRegistryTests() => TorchRuntime.Initialize();

    /// <summary>Feature channels at width 4 (8w for BasicBlock ResNets, 32w for ResNet-50, 4w for the ConvNet, 8w for the eight-layer one, w for the MLP's 1 × 1 map) and side for 32×32 input.</summary>
    static readonly Dictionary<string, (int Dim, int Side)> Expected4 = new()
    {
        ["resnet18"] = (32, 4),
        ["resnet34"] = (32, 4),
        ["resnet50"] = (128, 4),
        ["convnet"] = (16, 8),
        ["convnet8"] = (32, 4),
        ["mlp"] = (4, 1),
        ["vit-tiny"] = (4, 0),
        ["vit-small"] = (4, 0),
        ["vit-base"] = (4, 0),
    };

    public static TheoryData<string, int> NamesAndChannels()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in EncoderRegistry.Names)
            foreach (var channels in new[] { 1, 3 }) data.Add(name, channels);
        return data;
    }

    [Fact]
    public void Names_AreTheDocumentedEncoders()
    {
        Assert.Equal(["resnet18", "resnet34", "resnet50", "convnet", "convnet8", "mlp", "vit-tiny", "vit-small", "vit-base"], EncoderRegistry.Names);
        Assert.All(EncoderRegistry.Names, n => Assert.True(Expected4.ContainsKey(n), $"{n}: add its expected shape to this test"));
    }

    [Theory]
    [MemberData(nameof(NamesAndChannels))]
    public void EveryEncoder_GivesFeatureMapAndEmbeddingShapes(string name, int channels)
    {
        using var encoder = EncoderRegistry.Create(name, new EncoderOptions(InChannels: channels, ImageSize: 32, Width: 4));
        using var x = randn(2, channels, 32, 32, generator: new Generator(0));
        var (dim, side) = Expected4[name];
        using var features = encoder.ForwardFeatures(x);
        // ViTs give tokens [B, 1 + T, D] (width 4 = D, patch 4 on 32 px → 64 tokens); CNNs a map [B, D, h, w].
        Assert.Equal(side == 0 ? new long[] { 2, 65, dim } : new long[] { 2, dim, side, side }, features.shape);
        using var z = encoder.Pool(features);
        Assert.Equal(new long[] { 2, dim }, z.shape);
        Assert.Equal(dim, encoder.EmbeddingDim);
        using var direct = encoder.call(x);
        Assert.Equal(z.shape, direct.shape);
    }

    [Fact]
    public void WidthZero_PicksEachEncodersDefault()
    {
        using var resnet = EncoderRegistry.Create("resnet18", new EncoderOptions(3, 32));
        using var convnet = EncoderRegistry.Create("convnet", new EncoderOptions(1, 28));
        Assert.Equal(512, resnet.EmbeddingDim);
        Assert.Equal(128, convnet.EmbeddingDim);
        using var mlp = EncoderRegistry.Create("mlp", new EncoderOptions(1, 28));
        Assert.Equal(256, mlp.EmbeddingDim);
    }

    [Theory]
    [InlineData(32, null, ResNetStem.Cifar)]
    [InlineData(64, null, ResNetStem.Cifar)]
    [InlineData(96, null, ResNetStem.ImageNet)]
    [InlineData(32, "ImageNet", ResNetStem.ImageNet)]
    [InlineData(224, "cifar", ResNetStem.Cifar)]
    public void Stem_FollowsTheOptionOrTheImageSize(int imageSize, string? stem, ResNetStem expected)
    {
        using var encoder = EncoderRegistry.Create("resnet18", new EncoderOptions(3, imageSize, Width: 2, Stem: stem));
        Assert.Equal(expected, Assert.IsType<ResNet>(encoder).Stem);
    }

    [Fact]
    public void UnknownName_ErrorListsTheKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => EncoderRegistry.Create("vgg16", new EncoderOptions(3, 32)));
        Assert.Contains("'vgg16'", e.Message);
        foreach (var name in EncoderRegistry.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Names_AreCaseInsensitive()
    {
        using var encoder = EncoderRegistry.Create("ResNet18", new EncoderOptions(3, 32, Width: 2));
        Assert.IsType<ResNet>(encoder);
    }

    [Theory]
    [InlineData("resnet18", 3, 32, 0, "stem9", "EncoderOptions.Stem")]
    [InlineData("convnet", 1, 28, 0, "cifar", "EncoderOptions.Stem")]
    [InlineData("resnet18", 0, 32, 0, null, "EncoderOptions.InChannels")]
    [InlineData("resnet50", 3, 0, 0, null, "EncoderOptions.ImageSize")]
    [InlineData("convnet", 1, 28, -8, null, "EncoderOptions.Width")]
    public void InvalidOptions_AreRejectedNamingTheField(string name, int channels, int imageSize, int width, string? stem, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => EncoderRegistry.Create(name, new EncoderOptions(channels, imageSize, width, stem)));
        Assert.StartsWith(field, e.Message);
    }
}
