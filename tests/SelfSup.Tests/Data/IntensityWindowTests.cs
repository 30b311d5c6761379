using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class IntensityWindowTests
{
    [Fact]
    public void Parse_ReadsLowColonHigh_AndNothingAsNoWindow()
    {
        Assert.Equal(new IntensityWindow(0, 4095), IntensityWindow.Parse("0:4095", "--window"));
        Assert.Equal(new IntensityWindow(100, 65535), IntensityWindow.Parse(" 100 : 65535 ", "--window"));
        Assert.Null(IntensityWindow.Parse(null, "--window"));
        Assert.Equal("0:4095", new IntensityWindow(0, 4095).ToString());
    }

    [Theory]
    [InlineData("4095:0")]
    [InlineData("5:5")]
    [InlineData("low:high")]
    [InlineData("0:70000")]
    [InlineData("-1:10")]
    [InlineData("0-4095")]
    [InlineData("0:1:2")]
    [InlineData("0.5:10")]
    public void Parse_BadValues_AreErrorsNamingTheFlagAndTheForm(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => IntensityWindow.Parse(text, "--window"));
        Assert.StartsWith("--window: expected LOW:HIGH", e.Message);
        Assert.Contains("0 ≤ LOW < HIGH ≤ 65535", e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void Apply_IsExactIntegerRounding_WithHalvesUp()
    {
        var w = new IntensityWindow(0, 510); // 255·v/510 = v/2
        Assert.Equal(new byte[] { 0, 1, 1, 2, 255, 255 }, new[] { 0, 1, 2, 3, 510, 600 }.Select(w.Apply).ToArray());
    }

    [Theory]
    [InlineData("crop", ResizeMode.Crop)]
    [InlineData("FIT", ResizeMode.Fit)]
    public void ResizeMode_ParsesCropOrFit(string text, ResizeMode expected) => Assert.Equal(expected, ResizeModes.Parse(text, "--resize"));

    [Fact]
    public void ResizeMode_Unknown_IsAnErrorNamingTheFlagAndBothModes()
    {
        var e = Assert.Throws<ArgumentException>(() => ResizeModes.Parse("stretch", "--resize"));
        Assert.StartsWith("--resize: expected crop", e.Message);
        Assert.Contains("fit", e.Message);
    }
}
