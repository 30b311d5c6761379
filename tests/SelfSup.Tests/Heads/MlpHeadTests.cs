using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class MlpHeadTests
{
    static string[] Keys(MlpHead head) => head.state_dict().Keys.Order().ToArray();

    static long ParameterCount(MlpHead head) => head.parameters().Sum(p => p.numel());

    [Theory]
    [InlineData(new int[0], 3)]
    [InlineData(new[] { 16 }, 4)]
    [InlineData(new[] { 16, 32, 8 }, 5)]
    public void Output_HasTheOutputWidth_ForAnyNumberOfLayers(int[] hidden, int output)
    {
        using var head = new MlpHead(new MlpHeadOptions(6, hidden, output) { OutputNorm = MlpNorm.BatchNorm });
        using var x = randn(5, 6, generator: new Generator(1));
        using var z = head.call(x);
        Assert.Equal(new long[] { 5, output }, z.shape);
        Assert.Equal(hidden.Length + 1, head.Options.Layers);
    }

    [Fact]
    public void SimClr_FollowsTheGoogleReference_NoBiasBeforeBatchNorm_AndNoShiftOnTheOutput()
    {
        using var head = MlpHead.SimClr(8, 16, 4);
        Assert.Equal(
            [
                "net.bn0.bias", "net.bn0.num_batches_tracked", "net.bn0.running_mean", "net.bn0.running_var", "net.bn0.weight",
                "net.bn1.num_batches_tracked", "net.bn1.running_mean", "net.bn1.running_var", "net.bn1.weight",
                "net.linear0.weight", "net.linear1.weight",
            ],
            Keys(head));
        // 8·16 + (16 γ + 16 β) + 16·4 + 4 γ.
        Assert.Equal(8 * 16 + 32 + 16 * 4 + 4, ParameterCount(head));
    }

    [Fact]
    public void SimClr_WithoutOutputBatchNorm_IsThePaperHead_LinearBnReluLinear()
    {
        using var head = MlpHead.SimClr(8, 16, 4, outputBatchNorm: false);
        Assert.Equal(
            ["net.bn0.bias", "net.bn0.num_batches_tracked", "net.bn0.running_mean", "net.bn0.running_var", "net.bn0.weight",
             "net.linear0.weight", "net.linear1.bias", "net.linear1.weight"],
            Keys(head));
        Assert.Equal(8 * 16 + 32 + 16 * 4 + 4, ParameterCount(head));
    }

    [Fact]
    public void WithoutHiddenNorm_EveryLinearLayerKeepsItsBias_AndNoBatchNormIsBuilt()
    {
        using var head = new MlpHead(MlpHeadOptions.Uniform(8, 16, 4, layers: 3) with { HiddenNorm = MlpNorm.None });
        Assert.Equal(
            ["net.linear0.bias", "net.linear0.weight", "net.linear1.bias", "net.linear1.weight", "net.linear2.bias", "net.linear2.weight"],
            Keys(head));
        Assert.DoesNotContain(head.modules(), m => m is TorchSharp.Modules.BatchNorm1d);
    }

    [Fact]
    public void SimSiam_HasAnOutputBatchNormWithoutAffineParameters()
    {
        using var head = MlpHead.SimSiam(8, 16, 4);
        var keys = Keys(head);
        Assert.Contains("net.bn2.running_mean", keys);
        Assert.DoesNotContain("net.bn2.weight", keys);
        Assert.DoesNotContain("net.bn2.bias", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("net.linear") && k.EndsWith(".bias"));
        Assert.Equal(3, head.Options.Layers);
    }

    [Fact]
    public void Byol_IsTwoLayers_WithABiasedOutputLayer_AndThePaperSizesByDefault()
    {
        using var head = MlpHead.Byol(8);
        Assert.Equal((8, 4096, 256), (head.Options.InputDim, head.Options.HiddenDims.Single(), head.OutputDim));
        Assert.Equal(MlpNorm.None, head.Options.OutputNorm);
        Assert.Contains("net.linear1.bias", Keys(head));
    }

    [Fact]
    public void BarlowTwins_IsThreeLayers_WithNoBiasAnywhere_AndNoOutputNorm()
    {
        using var small = MlpHead.BarlowTwins(8, 16, 12);              // the paper's 8192-wide default is 0.5 GB
        Assert.Equal((8, 16, 12, 3), (small.Options.InputDim, small.Options.HiddenDims[1], small.OutputDim, small.Options.Layers));
        var keys = Keys(small);
        Assert.Contains("net.bn1.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("net.bn2", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.EndsWith(".bias", StringComparison.Ordinal) && k.StartsWith("net.linear", StringComparison.Ordinal));
        using var withBias = new MlpHead(small.Options with { OutputBias = true });
        Assert.Contains("net.linear2.bias", Keys(withBias));
    }

    [Theory]
    [InlineData(MlpNorm.BatchNormNoAffine)]
    [InlineData(MlpNorm.BatchNormNoShift)]
    [InlineData(MlpNorm.BatchNorm)]
    public void OutputBatchNorm_StandardisesEachOutputOverTheBatch_InTrainMode(MlpNorm norm)
    {
        using var head = new MlpHead(MlpHeadOptions.Uniform(6, 12, 5, layers: 2) with { OutputNorm = norm });
        head.train();
        using var x = randn(64, 6, generator: new Generator(2)).mul_(3).add_(7);
        using var z = head.call(x);
        using var mean = z.mean([0]);
        using var std = z.std(0, unbiased: false);
        for (int j = 0; j < 5; j++)
        {
            Assert.Equal(0, mean[j].item<float>(), 4);
            Assert.Equal(1, std[j].item<float>(), 3);
        }
    }

    [Fact]
    public void OutputWithoutShift_StaysCentred_WhenTheScaleIsLearned()
    {
        using var head = MlpHead.SimClr(6, 12, 5);
        var gamma = head.named_parameters().Single(p => p.name == "net.bn1.weight").parameter;
        using (no_grad()) gamma.fill_(2f);
        using var x = randn(32, 6, generator: new Generator(4));
        using var z = head.call(x);
        using var mean = z.mean([0]);
        using var std = z.std(0, unbiased: false);
        Assert.True(mean.abs().max().item<float>() < 1e-4, "no shift β: every output has zero batch mean");
        Assert.Equal(2, std.mean().item<float>(), 3);
    }

    [Fact]
    public void Gradient_ReachesTheInput_AndEveryParameter()
    {
        using var head = MlpHead.SimClr(6, 12, 5, layers: 3);
        using var x = randn(8, 6, generator: new Generator(5)).requires_grad_();
        using var z = head.call(x);
        using var w = randn(8, 5, generator: new Generator(6));
        using var loss = (z * w).sum();
        loss.backward();
        Assert.True(x.grad!.abs().sum().item<float>() > 0, "no gradient reached the input");
        foreach (var (name, p) in head.named_parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"no gradient reached {name}");
    }

    [Fact]
    public void InvalidShapes_AreRejectedNamingTheField()
    {
        Assert.Contains("Layers", Assert.Throws<ArgumentException>(() => MlpHeadOptions.Uniform(4, 8, 2, layers: 0)).Message);
        Assert.Contains("HiddenDims[1]", Assert.Throws<ArgumentException>(() => new MlpHead(new MlpHeadOptions(4, [8, 0], 2))).Message);
        Assert.Contains("OutputDim", Assert.Throws<ArgumentException>(() => new MlpHead(new MlpHeadOptions(4, [8], 0))).Message);
        using var head = MlpHead.Byol(4, 8, 2);
        Assert.Contains("[B, 4]", Assert.Throws<ArgumentException>(() => head.call(zeros(3, 5))).Message);
    }
}
