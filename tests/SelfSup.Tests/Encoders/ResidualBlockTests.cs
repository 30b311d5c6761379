using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class ResidualBlockTests
{
    public ResidualBlockTests() => TorchRuntime.Initialize();

    static long CountParameters(nn.Module m) => m.parameters().Sum(p => p.numel());

    [Fact]
    public void BasicBlock_WithStride_HalvesResolution_AndProjectsTheShortcut()
    {
        using var block = new BasicBlock(inChannels: 4, planes: 8, stride: 2);
        using var y = block.call(randn(2, 4, 10, 10));
        Assert.Equal(new long[] { 2, 8, 5, 5 }, y.shape);
        // 3·3·4·8 + 3·3·8·8 convs, 1·1·4·8 projection, three BNs of 8 (γ, β).
        Assert.Equal(288 + 576 + 32 + 3 * 16, CountParameters(block));
        using var min = y.min();
        Assert.True(min.item<float>() >= 0, "the block ends with a ReLU");
    }

    [Fact]
    public void Bottleneck_ExpandsByFour_AndStridesOnTheMiddleConv()
    {
        using var block = new Bottleneck(inChannels: 8, planes: 4, stride: 2);
        Assert.Equal(16, block.OutChannels);
        using var y = block.call(randn(2, 8, 9, 9));
        Assert.Equal(new long[] { 2, 16, 5, 5 }, y.shape);
        var shapes = block.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 4, 8, 1, 1 }, shapes["conv1.weight"]);
        Assert.Equal(new long[] { 4, 4, 3, 3 }, shapes["conv2.weight"]);
        Assert.Equal(new long[] { 16, 4, 1, 1 }, shapes["conv3.weight"]);
        Assert.Equal(new long[] { 16, 8, 1, 1 }, shapes["downsample.0.weight"]);
    }

    [Fact]
    public void Block_WithUnchangedShape_HasNoProjection()
    {
        using var block = new BasicBlock(inChannels: 8, planes: 8);
        Assert.DoesNotContain(block.named_parameters(), p => p.name.StartsWith("downsample", StringComparison.Ordinal));
    }
}
