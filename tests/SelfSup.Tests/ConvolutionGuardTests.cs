using System.Text.RegularExpressions;
using SelfSup.Encoders;
using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests;

/// <summary>
/// <see cref="ConvolutionGuard"/>: each new convolution configuration is measured once, before it runs; a wrong one
/// runs in float64 from then on, and only one that cannot be checked ends the checking. The checks here play a CPU through <see cref="ConvolutionChecks"/>' seams, so they
/// hold on any CPU; the models' convolutions are also watched by the process's own guard, which is what makes their
/// numbers right on a CPU with faulty oneDNN (see ChannelsLastTests).
/// </summary>
public class ConvolutionGuardTests
{
    /// <summary>A CPU whose configurations are wrong where <paramref name="isWrong"/> says so, recording every measurement.</summary>
    sealed class PlayedCpu
    {
        public readonly List<string> Measured = [];
        public readonly List<string> Reasons = [];
        public readonly List<string> Notes = [];
        public bool Guarding = true;
        public readonly ConvolutionChecks Checks;

        public PlayedCpu(Func<Tensor, Tensor, bool>? isWrong = null) =>
            Checks = new ConvolutionChecks(
                () => Guarding,
                (call, x, w, layouts, gradients) =>
                {
                    var wrt = gradients switch { (true, true) => "", (true, false) => " input", (false, true) => " weight", _ => " forward" };
                    Measured.Add($"[{string.Join(", ", x.shape)}] w[{string.Join(", ", w.shape)}]{(layouts.Input ? " channels-last" : "")}{wrt}");
                    Assert.Equal(ScalarType.Float64, x.dtype);
                    using var y = call(x, w); // the measured call runs on the given shapes
                    return isWrong?.Invoke(x, w) == true ? 0.3 : 1e-7;
                },
                reason => { Reasons.Add(reason); Guarding = false; },
                Notes.Add);
    }

    [Fact]
    public void EveryConvolutionOfAResNet_IsMeasuredOnce_PerConfiguration()
    {
        var cpu = new PlayedCpu();
        using var resnet = cpu.Checks.Watch(ResNet.ResNet18(new ResNetOptions(Width: 4)));
        resnet.eval();
        using var x = randn(2, 3, 16, 16);
        using (no_grad()) resnet.call(x).Dispose();
        // The stem, stage 1's 3×3 conv, and per later stage its strided 3×3 conv, its 3×3 conv at the stage's width
        // and the shortcut's 1×1 conv on the subsampled input: 1 + 1 + 3 · 3 distinct configurations.
        Assert.Equal(11, cpu.Measured.Count);
        Assert.Equal(11, cpu.Checks.Checked.Count);
        Assert.All(cpu.Measured, m => Assert.EndsWith("channels-last forward", m));
        Assert.Contains("[2, 8, 4, 4] w[16, 8, 1, 1] channels-last forward", cpu.Measured); // stage 3's shortcut, after subsampling 8×8
        using (no_grad()) resnet.call(x).Dispose();
        Assert.Equal(11, cpu.Measured.Count); // nothing new: nothing measured again
        using var y = randn(3, 3, 16, 16);
        using (no_grad()) resnet.call(y).Dispose();
        Assert.Equal(22, cpu.Measured.Count); // another batch size is another configuration
        using (var l = resnet.call(x).sum()) l.backward();
        Assert.Equal(33, cpu.Measured.Count); // under autograd the gradients are checked too: again, with them
        Assert.Equal("[2, 3, 16, 16] w[4, 3, 3, 3] channels-last weight", cpu.Measured[22]); // the stem: its input needs no gradient
        Assert.All(cpu.Measured.Skip(23), m => Assert.EndsWith("channels-last", m));
        Assert.Empty(cpu.Reasons);
    }

    [Fact]
    public void ConvolutionsInsideSequentials_AreMeasured_ConvNetAndDecoder()
    {
        var cpu = new PlayedCpu();
        using var convnet = cpu.Checks.Watch(new ConvNet(new ConvNetOptions(InChannels: 1, Width: 4)));
        using (no_grad()) convnet.call(randn(2, 1, 28, 28)).Dispose();
        Assert.Equal(5, cpu.Measured.Count);
        using var decoder = cpu.Checks.Watch(new ConvImageDecoder(8, 3, 16, 4));
        using (no_grad()) decoder.call(randn(2, 8)).Dispose();
        Assert.Contains(cpu.Checks.Checked.Keys, k => k.StartsWith("conv_transpose2d"));
        Assert.Contains(cpu.Checks.Checked.Keys, k => k.StartsWith("conv2d 4→3 k3×3"));
    }

    [Fact]
    public void AWrongConfiguration_IsReported_AndRunsInFloat64_WhileTheChecksGoOn()
    {
        // Wrong where the weight has 8 output channels: ResNet w4's stage 2.
        var cpu = new PlayedCpu(isWrong: (_, w) => w.shape[0] == 8);
        using var resnet = cpu.Checks.Watch(ResNet.ResNet18(new ResNetOptions(Width: 4)));
        using var x = randn(2, 3, 16, 16);
        using (var l = resnet.call(x).sum()) l.backward();
        Assert.Empty(cpu.Reasons); // oneDNN stays on for the rest
        // Stage 2's first block runs its shortcut (1×1 on the subsampled input) before its 3×3 conv.
        Assert.Matches(new Regex(@"^conv2d 4→8 k1×1 s1×1 p0×0 d1×1 g1 on \[2, 4, 8, 8\] channels-last, weight \S+, both gradients: relative error 0\.3$"), cpu.Notes[0]);
        Assert.Equal(cpu.Notes[0], cpu.Checks.FirstWrong);
        // Stage 2's three configurations with 8 outputs (shortcut, strided 3×3, 3×3), each reported once.
        Assert.Equal(3, cpu.Notes.Count);
        Assert.Equal(3, cpu.Checks.Rerouted.Count);
        Assert.Equal(11, cpu.Measured.Count); // every configuration was measured, before and after the wrong ones
        Assert.All(resnet.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void AWrongConfiguration_GivesTheFloat64Result_AndGradients()
    {
        var cpu = new PlayedCpu(isWrong: (_, _) => true);
        manual_seed(1);
        using var conv = cpu.Checks.Watch(nn.Conv2d(3, 5, 3, padding: 1));
        using var x = randn(2, 3, 6, 6).requires_grad_(true);
        using var y = conv.call(x);
        Assert.Single(cpu.Checks.Rerouted);
        using var x64 = x.detach().to(float64).requires_grad_(true);
        using var w64 = conv.weight!.detach().to(float64).requires_grad_(true);
        using var b64 = conv.bias!.detach().to(float64).requires_grad_(true);
        using var reference = nn.functional.conv2d(x64, w64, padding: [1, 1]) + b64.view(1, -1, 1, 1);
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.True(Same(y, reference.to(float32)), "the output is float64's, rounded once");
        using var upstream = randn(y.shape, generator: new Generator(2));
        y.backward([upstream]);
        reference.backward([upstream.to(float64)]);
        Assert.True(Same(x.grad!, x64.grad!.to(float32)), "the input gradient is float64's");
        Assert.True(Same(conv.weight!.grad!, w64.grad!.to(float32)), "the weight gradient is float64's");
        Assert.True(Same(conv.bias!.grad!, b64.grad!.to(float32)), "the bias gradient is float64's");
        // A channels-last input gives a channels-last result, as oneDNN's would.
        using var xl = ChannelsLast.Of(x.detach());
        using (no_grad())
        using (var yl = conv.call(xl))
        {
            Assert.True(ChannelsLast.Is(yl));
            Assert.True(yl.allclose(y, rtol: 0, atol: 1e-6));
        }
        // The functional path too.
        using var k = randn(4, 3, 1, 1);
        using var f = cpu.Checks.Functional(x.detach(), k, stride: 1, padding: 0, groups: 1);
        Assert.True(Same(f, nn.functional.conv2d(x.detach().to(float64), k.to(float64)).to(float32)));
    }

    [Fact]
    public void Functional_IsMeasured_WithItsGroups()
    {
        var cpu = new PlayedCpu();
        using var x = randn(1, 6, 8, 8);
        using var k = ones(6, 1, 1, 3).div(3);
        using var y = cpu.Checks.Functional(x, k, stride: 1, padding: 0, groups: 6);
        Assert.Equal(new long[] { 1, 6, 8, 6 }, y.shape);
        Assert.Equal("conv2d 6→6 k1×3 s1 p0 g6 on [1, 6, 8, 8] NCHW, weight NCHW, forward", Assert.Single(cpu.Checks.Checked.Keys)); // nothing asks for a gradient
    }

    [Fact]
    public void NothingIsMeasured_WhileNotGuarding_OrForFloat64()
    {
        var cpu = new PlayedCpu { Guarding = false };
        using var conv = cpu.Checks.Watch(nn.Conv2d(3, 4, 3));
        using (no_grad()) conv.call(randn(2, 3, 8, 8)).Dispose();
        cpu.Guarding = true;
        conv.to(float64);
        using (no_grad()) conv.call(randn(2, 3, 8, 8, dtype: float64)).Dispose();
        Assert.Empty(cpu.Measured);
    }

    [Fact]
    public void AConvolutionWithSamePadding_CannotBeChecked_AndEndsTheChecks()
    {
        var cpu = new PlayedCpu();
        using var conv = cpu.Checks.Watch(nn.Conv2d(3, 4, 3, padding: Padding.Same));
        using (no_grad()) conv.call(randn(2, 3, 8, 8)).Dispose();
        Assert.Contains("cannot be checked", Assert.Single(cpu.Reasons));
    }

    /// <summary>Every convolution SelfSup builds or calls goes through the guard: no other nn.Conv* or functional conv in src/.</summary>
    [Fact]
    public void TheSources_BuildConvolutionsOnlyThroughTheGuard()
    {
        var src = Path.Combine(Docs.ResultFilesTests.Root, "src");
        var allowed = new[] { "ConvolutionGuard.cs", "OneDnnCheck.cs", "BenchOneDnn.cs" };
        var raw = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !allowed.Contains(Path.GetFileName(f)))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(t => Regex.IsMatch(t.line, @"nn\.Conv(Transpose)?[123]d\(|functional\.conv(_transpose)?[123]d\("))
            .Select(t => $"{Path.GetRelativePath(src, t.f)}:{t.i + 1}: {t.line.Trim()}");
        Assert.Empty(raw);
    }
}
