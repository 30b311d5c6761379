using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests;

public class OneDnnCheckTests
{
    /// <summary>
    /// After the check (run before any test, as before any command's first model), the float32 convolutions SelfSup
    /// builds agree with float64, in both layouts, on the shapes where oneDNN fails on some CPUs: oneDNN is right
    /// here, or <see cref="ConvolutionGuard"/> found the shape wrong before it ran and switched oneDNN off.
    /// </summary>
    [Theory]
    [InlineData(4, 4, 3, 32, 16)]
    [InlineData(256, 512, 1, 4, 4)]
    public void GuardedConvolutions_AgreeWithFloat64_InBothLayouts(int inChannels, int outChannels, int kernel, int batch, int side)
    {
        OneDnnCheck.Run();
        Assert.NotNull(OneDnnCheck.Outcome);
        using var reference = nn.Conv2d(inChannels, outChannels, kernel, padding: kernel / 2, bias: false);
        reference.to(float64);
        using var x = randn([batch, inChannels, side, side], dtype: float64, generator: new Generator(3));
        using var g = randn([batch, outChannels, side, side], dtype: float64, generator: new Generator(4));
        var expected = Run(reference, x, g);
        foreach (var channelsLast in new[] { false, true })
        {
            using var conv = ConvolutionGuard.Conv2d(inChannels, outChannels, kernel, padding: kernel / 2, bias: false);
            using (no_grad()) conv.weight!.copy_(reference.weight!);
            Tensor Layout(Tensor t) => channelsLast ? SelfSup.Encoders.ChannelsLast.Of(t.to(float32)) : t.to(float32);
            var actual = Run(conv, Layout(x), Layout(g));
            foreach (var (e, a, what) in expected.Zip(actual, ["output", "input gradient", "weight gradient"]))
                Encoders.TensorAssert.Close(e, a.to(float64), 1e-4, $"{(channelsLast ? "channels-last" : "NCHW")} {what} ({OneDnnCheck.Outcome})");
        }
    }

    static Tensor[] Run(nn.Module<Tensor, Tensor> conv, Tensor x, Tensor g)
    {
        var xi = x.detach().requires_grad_();
        var y = conv.call(xi);
        y.backward([g]);
        return [y.detach(), xi.grad!, conv.parameters().Single().grad!];
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("on", true)]
    [InlineData(" OFF ", false)]
    public void TheSetting_IsOnOffOrUnset(string? value, bool? expected) => Assert.Equal(expected, OneDnnCheck.Setting(value));

    [Fact]
    public void AnyOtherSetting_IsAnErrorNamingTheVariableAndTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => OneDnnCheck.Setting("avx2"));
        Assert.Contains("SELFSUP_ONEDNN is 'avx2'; expected on, off or unset", e.Message);
    }
}
