using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class ResNetTests
{
    public ResNetTests() => TorchRuntime.Initialize();

    static long CountParameters(nn.Module m) => m.parameters().Sum(p => p.numel());

    [Fact]
    public void ResNet18_Width64_ImageNetStem_HasTorchvisionParameterCount()
    {
        // torchvision resnet18: 11,689,512 parameters, of which fc has 512·1000 + 1000 = 513,000.
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 64, Stem: ResNetStem.ImageNet));
        Assert.Equal(11_176_512, CountParameters(model));
        Assert.Equal(512, model.EmbeddingDim);
    }

    [Fact]
    public void ResNet34_Width64_ImageNetStem_HasTorchvisionParameterCount()
    {
        // torchvision resnet34: 21,797,672 − 513,000 (fc).
        using var model = ResNet.ResNet34(new ResNetOptions(InChannels: 3, Width: 64, Stem: ResNetStem.ImageNet));
        Assert.Equal(21_284_672, CountParameters(model));
    }

    [Fact]
    public void ResNet50_Width64_ImageNetStem_HasTorchvisionParameterCount()
    {
        // torchvision resnet50: 25,557,032 − (2048·1000 + 1000) (fc).
        using var model = ResNet.ResNet50(new ResNetOptions(InChannels: 3, Width: 64, Stem: ResNetStem.ImageNet));
        Assert.Equal(23_508_032, CountParameters(model));
        Assert.Equal(2048, model.EmbeddingDim);
    }

    [Fact]
    public void StateDictKeys_FollowTorchvision()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4));
        var keys = model.state_dict().Keys.ToHashSet();
        foreach (var key in new[]
        {
            "conv1.weight", "bn1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
            "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", "layer4.1.conv2.weight",
        })
            Assert.Contains(key, keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys); // stage 1 keeps shape: identity shortcut
        Assert.DoesNotContain(keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
    }

    [Fact]
    public void CifarStem_KeepsResolution_ImageNetStemDividesByFour()
    {
        using var x = randn(2, 3, 32, 32, generator: new Generator(0));
        using var cifar = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4, Stem: ResNetStem.Cifar));
        using var imagenet = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4, Stem: ResNetStem.ImageNet));
        using var a = cifar.ForwardStem(x);
        using var b = imagenet.ForwardStem(x);
        Assert.Equal(new long[] { 2, 4, 32, 32 }, a.shape);
        Assert.Equal(new long[] { 2, 4, 8, 8 }, b.shape);
        // Three stride-2 stages follow: 32/8 = 4 for CIFAR, 8/8 = 1 for ImageNet.
        using var fa = cifar.ForwardFeatures(x);
        using var fb = imagenet.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 32, 4, 4 }, fa.shape);
        Assert.Equal(new long[] { 2, 32, 1, 1 }, fb.shape);
    }

    [Fact]
    public void Stages_HalveTheResolutionAndDoubleTheWidth_AndTheLastIsTheFeatureMap()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 32, 32, generator: new Generator(0));
        using var resnet = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4));
        resnet.eval();
        var stages = resnet.ForwardStages(x);
        Assert.Equal(new[] { (4L, 32L), (8L, 16L), (16L, 8L), (32L, 4L) }, stages.Select(s => (s.shape[1], s.shape[2])));
        Assert.Equal(0f, (stages[^1] - resnet.ForwardFeatures(x)).abs().max().item<float>());
    }

    [Fact]
    public void Gradients_ReachTheFirstConv()
    {
        using var model = ResNet.ResNet50(new ResNetOptions(InChannels: 1, Width: 2));
        using var x = randn(2, 1, 16, 16, generator: new Generator(1));
        using (var loss = model.call(x).square().sum()) loss.backward();
        foreach (var name in new[] { "conv1.weight", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight" })
        {
            var grad = model.named_parameters().First(p => p.name == name).parameter.grad;
            Assert.NotNull(grad);
            using var norm = grad.norm();
            Assert.True(norm.item<float>() > 0, $"{name}: zero gradient");
        }
    }

    [Fact]
    public void Pool_IsTheSpatialMean()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4));
        // Channel 0 holds 0..3 (mean 1.5), channel 1 holds 10 everywhere.
        using var features = stack([arange(4f).reshape(2, 2), full(2, 2, 10f)]).unsqueeze(0); // [1, 2, 2, 2]
        using var pooled = model.Pool(features);
        Assert.Equal(new long[] { 1, 2 }, pooled.shape);
        Assert.Equal(new[] { 1.5f, 10f }, pooled.data<float>().ToArray());
    }

    [Fact]
    public void ZeroInitResidual_ZeroesTheLastNormOfEveryBranchOnly()
    {
        using var model = ResNet.ResNet50(new ResNetOptions(InChannels: 3, Width: 2, ZeroInitResidual: true));
        var gammas = model.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal) && p.parameter.dim() == 1).ToList();
        foreach (var (name, p) in gammas)
        {
            using var sum = p.abs().sum();
            bool last = name.EndsWith(".bn3.weight", StringComparison.Ordinal);
            Assert.True(last ? sum.item<float>() == 0 : sum.item<float>() == p.numel(), $"{name}: expected γ = {(last ? 0 : 1)}");
        }
        Assert.Equal(3 + 4 + 6 + 3, gammas.Count(g => g.name.EndsWith(".bn3.weight", StringComparison.Ordinal)));
    }

    [Fact]
    public void ZeroInitResidual_MakesIdentityBlocksPassTheirInputThrough()
    {
        // With γ = 0 the branch adds nothing: a block without projection returns ReLU(x) = x for x ≥ 0.
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 4, ZeroInitResidual: true));
        var block = model.modules().OfType<BasicBlock>().First();
        using var x = rand(2, 4, 8, 8, generator: new Generator(2));
        using var y = block.call(x);
        TensorAssert.Identical(x, y, "zero-init block output");
    }

    [Fact]
    public void WrongInputChannels_AreRejectedWithTheExpectedShape()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 1, Width: 2));
        using var x = zeros(2, 3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => model.ForwardFeatures(x));
        Assert.Contains("[B, 1, H, W]", e.Message);
        Assert.Contains("[2, 3, 8, 8]", e.Message);
    }
}
