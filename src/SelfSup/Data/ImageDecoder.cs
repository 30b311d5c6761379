using SkiaSharp;

namespace SelfSup.Data;

/// <summary>
/// Decodes one PNG/JPEG with SkiaSharp and writes it, as a centre-cropped square of the target size, into a
/// planar [C, S, S] slice of a byte buffer. Shorter side to S then centre crop, the usual evaluation resize;
/// downscaling uses trilinear mipmaps (no aliasing at large ratios) and upscaling Mitchell cubic.
/// Transparent pixels end up composited on black.
/// </summary>
internal static class ImageDecoder
{
    static readonly SKSamplingOptions Down = new(SKFilterMode.Linear, SKMipmapMode.Linear);
    static readonly SKSamplingOptions Up = new(SKCubicResampler.Mitchell);

    /// <summary>Width and height from the file header, without decoding the pixels.</summary>
    public static (int Width, int Height) Size(byte[] encoded, string origin)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(origin);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="dest"/> (length channels·size·size, planar); returns
    /// whether the file itself stores one gray channel (e.g. a grayscale PNG or JPEG).
    /// </summary>
    public static bool DecodeInto(byte[] encoded, string origin, int size, int channels, Span<byte> dest)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(origin);
        var png = PngColour(encoded);
        var sixteenBit = png is (16, _);
        var storedGray = codec.Info.ColorType == SKColorType.Gray8 || png is (16, 0 or 4);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        if (info.Width <= 0 || info.Height <= 0) throw Unreadable(origin);
        using var decoded = sixteenBit ? DecodeSixteenBit(codec, info, origin) : new SKBitmap(info);
        if (!sixteenBit)
        {
            var result = codec.GetPixels(info, decoded.GetPixels());
            if (result != SKCodecResult.Success)
                throw new InvalidDataException($"{origin}: image could not be decoded ({result})");
        }

        if (info.Width == size && info.Height == size)
        {
            WritePlanar(decoded.GetPixelSpan(), size, channels, dest);
            return storedGray;
        }
        var side = Math.Min(info.Width, info.Height);
        var src = SKRect.Create((info.Width - side) / 2, (info.Height - side) / 2, side, side);
        using var target = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, src, SKRect.Create(0, 0, size, size), side > size ? Down : Up, null);
        }
        WritePlanar(target.GetPixelSpan(), size, channels, dest);
        return storedGray;
    }

    /// <summary>A PNG's (bit depth, colour type) from its header; null for other formats.</summary>
    static (int Depth, int ColourType)? PngColour(byte[] encoded) =>
        encoded.Length > 25 && encoded[0] == 0x89 && encoded[1] == (byte)'P' && encoded[12] == (byte)'I' && encoded[13] == (byte)'H'
            ? (encoded[24], encoded[25])
            : null;

    /// <summary>
    /// A 16-bit PNG (the usual export of X-rays, e.g. dcmtk's <c>dcm2pnm --write-16-bit-png</c>) decoded at high depth
    /// (half floats, 11 significant bits) and scaled to 8 bits by each image's own range: v' = round(255 · (v − min) / (max − min)) over its colour
    /// channels, so a 12-bit image uses the whole 8-bit range instead of its lowest sixteenth. A flat image becomes 0.
    /// </summary>
    static SKBitmap DecodeSixteenBit(SKCodec codec, SKImageInfo target, string origin)
    {
        // Skia decodes 16-bit PNGs to half floats (its high-depth format): 11 significant bits, ample for 8-bit output.
        var wide = new SKImageInfo(target.Width, target.Height, SKColorType.RgbaF16, SKAlphaType.Unpremul);
        using var full = new SKBitmap(wide);
        var result = codec.GetPixels(wide, full.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{origin}: 16-bit image could not be decoded ({result})");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(full.GetPixelSpan()); // RGBA in [0, 1]
        float min = float.MaxValue, max = float.MinValue;
        for (var i = 0; i < values.Length; i++)
        {
            if (i % 4 == 3) continue; // alpha
            min = Math.Min(min, (float)values[i]);
            max = Math.Max(max, (float)values[i]);
        }
        var scale = max > min ? 255.0 / (max - min) : 0;
        var rgba = new byte[values.Length]; // 8-bit RGBA, opaque for gray and RGB PNGs
        for (var i = 0; i < values.Length; i++)
            rgba[i] = i % 4 == 3 ? (byte)Math.Round(255 * (float)values[i]) : (byte)Math.Round(((float)values[i] - min) * scale);
        var bitmap = new SKBitmap(target);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>RGBA interleaved → planar RGB, or → luminance (ITU-R BT.601 weights, as PIL's "L").</summary>
    static void WritePlanar(ReadOnlySpan<byte> rgba, int size, int channels, Span<byte> dest)
    {
        var plane = size * size;
        if (channels == 3)
        {
            for (var p = 0; p < plane; p++)
            {
                dest[p] = rgba[4 * p];
                dest[plane + p] = rgba[4 * p + 1];
                dest[2 * plane + p] = rgba[4 * p + 2];
            }
        }
        else
        {
            for (var p = 0; p < plane; p++)
                dest[p] = Luma(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]);
        }
    }

    internal static byte Luma(int r, int g, int b) => (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000);

    static InvalidDataException Unreadable(string origin) =>
        new($"{origin}: not a readable PNG/JPEG image (corrupt or unsupported format)");
}
