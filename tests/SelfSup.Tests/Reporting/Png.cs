using SkiaSharp;

namespace SelfSup.Tests.Reporting;

/// <summary>Decodes a written PNG so tests can check it is a real image of the expected size.</summary>
internal static class Png
{
    public static SKBitmap Read(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.True(new FileInfo(path).Length > 0, $"{path} is empty");
        using var codec = SKCodec.Create(path);
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        return SKBitmap.Decode(path);
    }
}
