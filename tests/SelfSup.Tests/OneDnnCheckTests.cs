namespace SelfSup.Tests;

public class OneDnnCheckTests
{
    /// <summary>
    /// After the check (run before any test, as before any command's first model), float32 convolutions agree with
    /// float64, in both layouts, on the shapes where oneDNN fails on some CPUs: oneDNN is right here, or the check
    /// switched it off.
    /// </summary>
    [Fact]
    public void AfterTheCheck_ConvolutionsAgreeWithFloat64_InBothLayouts()
    {
        OneDnnCheck.Run();
        Assert.NotNull(OneDnnCheck.Outcome);
        var (nchw, channelsLast) = OneDnnCheck.RelativeErrors();
        Assert.True(nchw <= 1e-4 && channelsLast <= 1e-4, $"relative error NCHW {nchw:G3}, channels-last {channelsLast:G3} after the check ({OneDnnCheck.Outcome})");
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
