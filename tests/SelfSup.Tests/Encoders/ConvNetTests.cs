using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class ConvNetTests
{
    public ConvNetTests() => TorchRuntime.Initialize();

    [Fact]
    public void Mnist28_GivesA7x7MapOfFourTimesTheWidth()
    {
        using var model = new ConvNet(new ConvNetOptions(InChannels: 1, Width: 8));
        using var x = randn(3, 1, 28, 28, generator: new Generator(0));
        using var f = model.ForwardFeatures(x);
        Assert.Equal(new long[] { 3, 32, 7, 7 }, f.shape);
        Assert.True(ChannelsLast.Is(f), "grayscale input should still run channels-last");
        Assert.Equal(32, model.EmbeddingDim);
        using var z = model.call(x);
        Assert.Equal(new long[] { 3, 32 }, z.shape);
    }

    [Fact]
    public void DefaultWidth_HasTheDocumentedLayersAndParameterCount()
    {
        using var model = new ConvNet(new ConvNetOptions(InChannels: 1));
        Assert.Equal(128, model.EmbeddingDim);
        // convs 1·32·9, 32·32·9, 32·64·9, 64·64·9, 64·128·9 (no bias) + BN γ, β for 32+32+64+64+128 channels.
        long convs = 9L * (1 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128);
        Assert.Equal(convs + 2 * (32 + 32 + 64 + 64 + 128), model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void EightLayers_EndInA3x3MapOfEightTimesTheWidth_WithTheDocumentedParameterCount()
    {
        using var model = new ConvNet(new ConvNetOptions(InChannels: 1, Layers: 8));
        Assert.Equal(256, model.EmbeddingDim);
        using var x = randn(2, 1, 28, 28, generator: new Generator(3));
        using var f = model.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 256, 3, 3 }, f.shape); // 28 → 14 → 7 → 3 (floor)
        long convs = 9L * (1 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256);
        long bns = 2 * (32 + 32 + 64 + 64 + 128 + 128 + 256 + 256);
        Assert.Equal(convs + bns, model.parameters().Sum(p => p.numel()));
        Assert.Equal(8, model.named_modules().Count(m => m.name.StartsWith("features.conv", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void OtherLayerCounts_AreRejectedByName(int layers)
    {
        var e = Assert.Throws<ArgumentException>(() => new ConvNet(new ConvNetOptions(Layers: layers)));
        Assert.Contains("ConvNetOptions.Layers", e.Message);
        Assert.Contains(layers.ToString(), e.Message);
    }

    [Fact]
    public void ChannelsLastOutput_EqualsNchwOutput()
    {
        using var nchw = new ConvNet(new ConvNetOptions(InChannels: 3, Width: 4, UseChannelsLast: false));
        using var nhwc = new ConvNet(new ConvNetOptions(InChannels: 3, Width: 4));
        nhwc.load_state_dict(nchw.state_dict());
        using var x = randn(4, 3, 32, 32, generator: new Generator(1));
        using var a = nchw.ForwardFeatures(x);
        using var b = nhwc.ForwardFeatures(x);
        Assert.True(ChannelsLast.Is(b));
        TensorAssert.Close(a, b, 1e-5, "ConvNet features");
    }

    [Fact]
    public void Gradients_ReachTheFirstConv()
    {
        using var model = new ConvNet(new ConvNetOptions(InChannels: 1, Width: 4));
        using var x = randn(2, 1, 28, 28, generator: new Generator(2));
        using (var loss = model.call(x).square().sum()) loss.backward();
        var grad = model.named_parameters().First(p => p.name == "features.conv1.weight").parameter.grad;
        Assert.NotNull(grad);
        using var norm = grad.norm();
        Assert.True(norm.item<float>() > 0);
    }
}
