using SkiaSharp;

namespace SelfSup.Tests.Data;

/// <summary>Writes small PNG files with known pixels.</summary>
internal static class TestImages
{
    /// <summary>A PNG whose pixel (x, y) is <paramref name="color"/>(x, y).</summary>
    public static void WritePng(string path, int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A PNG stored with one gray channel, pixel (x, y) = <paramref name="value"/>(x, y).</summary>
    public static void WriteGrayPng(string path, int width, int height, Func<int, int, byte> value)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor(value(x, y), value(x, y), value(x, y)));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    public static void WriteSolid(string path, int width, int height, SKColor color) => WritePng(path, width, height, (_, _) => color);
}
