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

    /// <summary>
    /// The projection shortcut subsamples, then applies a stride-1 1×1 conv (see <see cref="ResidualBlock"/>): the
    /// same map, and the same gradients, as torchvision's strided 1×1 conv with its weights, on odd sizes (where
    /// the last row and column count) and in both layouts.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ProjectionShortcut_IsTheStridedOneByOneConv(bool channelsLast)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var block = new BasicBlock(inChannels: 4, planes: 8, stride: 2);
        block.to(float64).eval();
        var x = randn(3, 4, 9, 7, dtype: float64);
        if (channelsLast) x = ChannelsLast.Of(x);
        x.requires_grad_();
        var parameters = block.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var buffers = block.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        var w1 = parameters["conv1.weight"]; var w2 = parameters["conv2.weight"]; var wd = parameters["downsample.0.weight"];
        Tensor Bn(Tensor h, string name) => nn.functional.batch_norm(h, buffers[name + ".running_mean"], buffers[name + ".running_var"],
            parameters[name + ".weight"], parameters[name + ".bias"], training: false, eps: 1e-5);
        var branch = Bn(nn.functional.conv2d(Bn(nn.functional.conv2d(x, w1, strides: [2, 2], padding: [1, 1]), "bn1").relu(), w2, padding: [1, 1]), "bn2");
        var shortcut = Bn(nn.functional.conv2d(x, wd, strides: [2, 2]), "downsample.1");
        var expected = (branch + shortcut).relu();
        var actual = block.call(x);
        Assert.Equal(new long[] { 3, 8, 5, 4 }, actual.shape);
        TensorAssert.Close(expected, actual, 1e-12, "output");
        var g = randn_like(expected);
        var expectedGrads = autograd.grad([expected], [x, wd], [g]);
        var actualGrads = autograd.grad([actual], [x, wd], [g]);
        TensorAssert.Close(expectedGrads[0], actualGrads[0], 1e-12, "input gradient");
        TensorAssert.Close(expectedGrads[1], actualGrads[1], 1e-12, "downsample.0.weight gradient");
    }
}
