using System.Text.RegularExpressions;
using SelfSup.Encoders;
using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests;

/// <summary>
/// <see cref="ConvolutionGuard"/>: each new convolution configuration is measured once, before it runs; the first
/// wrong one ends the checking. The checks here play a CPU through <see cref="ConvolutionChecks"/>' seams, so they
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
                reason => { Reasons.Add(reason); Guarding = false; });
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
    public void TheFirstWrongConfiguration_IsReported_AndEndsTheChecks()
    {
        // Wrong where the weight has 8 output channels: ResNet w4's stage 2.
        var cpu = new PlayedCpu(isWrong: (_, w) => w.shape[0] == 8);
        using var resnet = cpu.Checks.Watch(ResNet.ResNet18(new ResNetOptions(Width: 4)));
        using var x = randn(2, 3, 16, 16);
        using (var l = resnet.call(x).sum()) l.backward();
        var reason = Assert.Single(cpu.Reasons);
        // Stage 2's first block runs its shortcut (1×1 on the subsampled input) before its 3×3 conv.
        Assert.Matches(new Regex(@"^this one is: conv2d 4→8 k1×1 s1×1 p0×0 d1×1 g1 on \[2, 4, 8, 8\] channels-last, weight \S+, both gradients: relative error 0\.3$"), reason);
        Assert.Equal(reason["this one is: ".Length..], cpu.Checks.FirstWrong);
        Assert.Equal(3, cpu.Measured.Count); // the stem, 4→4, then the wrong one; nothing after it
        Assert.All(resnet.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
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
