using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests;

public class OneDnnCheckTests
{
    /// <summary>
    /// After the check (run before any test, as before any command's first model), float32 convolutions agree with
    /// float64 on the shapes where oneDNN fails on some CPUs: channels-last always (oneDNN is right there, or the check
    /// switched it off), NCHW unless the check found it wrong and SelfSup trains channels-last instead.
    /// </summary>
    [Fact]
    public void AfterTheCheck_TheLayoutsSelfSupTrainsIn_AgreeWithFloat64()
    {
        OneDnnCheck.Run();
        Assert.NotNull(OneDnnCheck.Outcome);
        var (nchw, channelsLast) = OneDnnCheck.RelativeErrors();
        Assert.True(channelsLast <= 1e-4, $"channels-last relative error {channelsLast:G3} after the check ({OneDnnCheck.Outcome})");
        Assert.True(nchw <= 1e-4 || OneDnnCheck.NchwGradientsWrong, $"NCHW relative error {nchw:G3} after the check ({OneDnnCheck.Outcome})");
        Assert.False(OneDnnCheck.NchwGradientsWrong && OneDnnCheck.SwitchedOff);
    }

    /// <summary>The Trainer's guard hands every convolution layer channels-last input on the CPU, and leaves once disposed.</summary>
    [Fact]
    public void TheGuard_MakesConvolutionInputsChannelsLast_UntilDisposed()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("up", nn.ConvTranspose2d(4, 2, 2, stride: 2)));
        var seen = new List<bool>();
        foreach (var layer in model.modules())
            (layer as nn.Module<Tensor, Tensor>)!.register_forward_hook((_, input, output) => { seen.Add(ChannelsLast.Is(input)); return output; });
        using var x = randn(2, 3, 8, 8);
        using (ChannelsLast.Guard(model))
            using (model.call(x)) { }
        using (model.call(x)) { }
        Assert.Equal(new[] { true, true, false, false }, seen);
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
