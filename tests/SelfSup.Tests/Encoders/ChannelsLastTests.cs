using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class ChannelsLastTests
{
    public ChannelsLastTests() => TorchRuntime.Initialize();

    /// <summary>A width-4 ResNet-18; with <paramref name="copyOf"/>, holding the same weights (tests run in parallel,
    /// so seeding the global generator would not make two models equal).</summary>
    static ResNet SmallResNet(bool channelsLast, ResNet? copyOf = null)
    {
        var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4, UseChannelsLast: channelsLast));
        if (copyOf is not null) model.load_state_dict(copyOf.state_dict());
        return model;
    }

    static TorchSharp.Modules.Parameter Weight(nn.Module m, string name) => m.named_parameters().First(p => p.name == name).parameter;

    [Fact]
    public void Of_KeepsShapeAndValues_WithNhwcStrides()
    {
        using var x = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);
        using var y = ChannelsLast.Of(x);
        // NHWC storage of [2, 3, 4, 5]: C innermost (1), then W (3), H (15), B (60).
        Assert.Equal(new long[] { 60, 1, 15, 3 }, y.stride());
        Assert.True(ChannelsLast.Is(y));
        Assert.False(ChannelsLast.Is(x));
        TensorAssert.Identical(x, y, "channels-last copy");
    }

    [Fact]
    public void Of_MakesSizeOneChannelAndKernelTensorsUnambiguouslyChannelsLast()
    {
        // Grayscale input [2, 1, 4, 5] and a 1×1 kernel [6, 3, 1, 1]: plain permutes would leave NCHW strides.
        using var gray = arange(40f).reshape(2, 1, 4, 5);
        using var kernel = arange(18f).reshape(6, 3, 1, 1);
        Assert.False(ChannelsLast.Is(gray));
        Assert.False(ChannelsLast.Is(kernel));
        using var g = ChannelsLast.Of(gray);
        using var k = ChannelsLast.Of(kernel);
        Assert.Equal(new long[] { 20, 1, 5, 1 }, g.stride());
        Assert.Equal(new long[] { 3, 1, 3, 3 }, k.stride());
        Assert.True(ChannelsLast.Is(g));
        Assert.True(ChannelsLast.Is(k));
        TensorAssert.Identical(gray, g, "grayscale");
        TensorAssert.Identical(kernel, k, "1×1 kernel");
    }

    [Fact]
    public void Is_PrefersNchw_WhereStridesFitBothLayouts()
    {
        using var x = zeros(3, 1, 1, 1);
        Assert.False(ChannelsLast.Is(x));
        using var y = zeros(2, 3, 4, 5).permute(0, 2, 3, 1); // a 4-D tensor, but not an NCHW view of NHWC storage
        Assert.False(ChannelsLast.Is(y));
    }

    [Fact]
    public void Apply_ConvertsConvWeights_KeepingTheSameLeafParameters()
    {
        using var model = SmallResNet(channelsLast: false);
        var before = model.parameters().ToList();
        var values = before.Select(p => p.detach().clone()).ToList();
        var spatial = before.Where(p => p.dim() == 4).ToList(); // 3×3 and 1×1 conv weights
        Assert.NotEmpty(spatial);
        Assert.DoesNotContain(spatial, p => ChannelsLast.Is(p));

        int converted = ChannelsLast.Apply(model);

        var after = model.parameters().ToList();
        Assert.Equal(spatial.Count, converted);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Same(before[i], after[i]);
            Assert.True(after[i].requires_grad);
            Assert.True(after[i].is_leaf);
            TensorAssert.Identical(values[i], after[i], $"parameter {i}");
        }
        Assert.All(spatial, p => Assert.True(ChannelsLast.Is(p)));
        foreach (var v in values) v.Dispose();
    }

    [Fact]
    public void AppliedWeights_AreUpdatedByAnOptimizerBuiltBefore_AndStayChannelsLast()
    {
        using var model = SmallResNet(channelsLast: true);
        using var opt = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        ChannelsLast.Apply(model);
        var conv1 = Weight(model, "conv1.weight");
        using var before = conv1.detach().clone();
        using var x = randn(4, 3, 16, 16, generator: new Generator(3));
        for (int step = 0; step < 2; step++)
        {
            opt.zero_grad();
            using var loss = model.call(x).square().mean();
            loss.backward();
            opt.step();
        }
        using var change = (conv1 - before).abs().max();
        Assert.True(change.item<float>() > 0, "the optimizer did not update the converted conv1 weight");
        Assert.True(ChannelsLast.Is(conv1));
        Assert.True(ChannelsLast.Is(conv1.grad!), "gradients follow the parameter's layout");
    }

    [Fact]
    public void Save_RejectsChannelsLastWeights_AndWorksAfterRevert()
    {
        using var model = SmallResNet(channelsLast: true);
        using var reference = SmallResNet(channelsLast: true, copyOf: model);
        ChannelsLast.Apply(model);
        // TorchSharp writes raw storage and refuses non-contiguous tensors: the reason the encoders keep NCHW weights.
        Assert.Throws<InvalidOperationException>(() => model.save(new MemoryStream()));

        Assert.True(ChannelsLast.Revert(model) > 0);
        Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
        var saved = new MemoryStream();
        model.save(saved);
        using var loaded = SmallResNet(channelsLast: true);
        loaded.load(new MemoryStream(saved.ToArray()));
        var expected = reference.state_dict();
        foreach (var (name, t) in loaded.state_dict()) TensorAssert.Identical(expected[name], t, name);
    }

    [Fact]
    public void ResNetOutput_EqualsNchwOutput_InTrainAndEvalMode()
    {
        using var nchw = SmallResNet(channelsLast: false);
        using var nhwc = SmallResNet(channelsLast: true, copyOf: nchw);
        using var x = randn(4, 3, 32, 32, generator: new Generator(1));
        foreach (var train in new[] { true, false })
        {
            nchw.train(train);
            nhwc.train(train);
            using var a = nchw.ForwardFeatures(x);
            using var b = nhwc.ForwardFeatures(x);
            Assert.False(ChannelsLast.Is(a));
            Assert.True(ChannelsLast.Is(b), "the layout should propagate through every layer");
            // Summation order differs between the layouts: equal up to float32 rounding (measured: 3e-6 relative in train mode, 4e-7 in eval).
            TensorAssert.Close(a, b, 1e-5, $"train={train}");
            using var maxDiff = (a - b).abs().max();
            Assert.True(maxDiff.item<float>() < 1e-4, $"train={train}: max |diff| {maxDiff.item<float>()}");
        }
    }

    /// <summary>
    /// Both layouts' float32 gradients equal the float64 ones (libtorch's float64 convolutions never use oneDNN, and
    /// on a CPU where some float32 ones are wrong <see cref="ConvolutionGuard"/> checks each before it runs), and stay
    /// NCHW. In eval mode: in train mode BatchNorm's backward divides by batch standard deviations, which amplifies
    /// any change of float32 summation order; there a random init put 2 of 12 runs 0.4–2 % off float64 with or
    /// without oneDNN, while in eval mode every run of either stayed within 2e-6.
    /// </summary>
    [Fact]
    public void ResNetGradients_EqualFloat64Gradients_InBothLayouts_AndStayNchw()
    {
        using var nchw = SmallResNet(channelsLast: false);
        using var nhwc = SmallResNet(channelsLast: true, copyOf: nchw);
        using var reference = SmallResNet(channelsLast: false, copyOf: nchw);
        reference.to(float64);
        foreach (var m in new[] { nchw, nhwc, reference }) m.eval();
        using var x = randn(32, 3, 16, 16, generator: new Generator(2));
        using (var l = reference.call(x.to(float64)).square().sum()) l.backward();
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var model in new[] { nhwc, nchw })
        {
            using (var l = model.call(x).square().sum()) l.backward();
            foreach (var (name, p) in model.named_parameters())
            {
                TensorAssert.Close(expected[name], p.grad!, 1e-4, $"{(model == nhwc ? "channels-last" : "NCHW")} {name}");
                Assert.True(p.grad!.is_contiguous(), $"{name}: gradient should keep the weight's NCHW layout");
            }
        }
    }

    [Fact]
    public void ChannelsLastEncoder_SavesAndLoads()
    {
        using var source = SmallResNet(channelsLast: true);
        using var x = randn(2, 3, 16, 16, generator: new Generator(4));
        using (var l = source.call(x).sum()) l.backward();
        var saved = new MemoryStream();
        source.save(saved);

        using var target = SmallResNet(channelsLast: true);
        target.load(new MemoryStream(saved.ToArray()));
        var expected = source.state_dict();
        foreach (var (name, t) in target.state_dict()) TensorAssert.Identical(expected[name], t, name);
    }
}
