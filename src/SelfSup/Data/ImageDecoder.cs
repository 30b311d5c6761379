using SkiaSharp;

namespace SelfSup.Data;

/// <summary>
/// Decodes one PNG/JPEG with SkiaSharp and writes it, as a square of the target size S, into a planar [C, S, S] slice
/// of a byte buffer. <see cref="ResizeMode.Crop"/>: shorter side to S, then a centred S×S crop (the usual evaluation
/// resize). <see cref="ResizeMode.Fit"/> (letterbox): longer side to S, shorter side to round(short · S / long) pixels
/// (at least 1, halves up), placed floor((S − that) / 2) pixels from the top (landscape) or the left (portrait), the
/// rest black. Downscaling uses trilinear mipmaps (no aliasing at large ratios), which copies pixels exactly at scale 1,
/// and upscaling Mitchell cubic. Transparent pixels end up composited on black.
/// </summary>
internal static class ImageDecoder
{
    static readonly SKSamplingOptions Down = new(SKFilterMode.Linear, SKMipmapMode.Linear);
    static readonly SKSamplingOptions Up = new(SKCubicResampler.Mitchell);

    /// <summary>
    /// The most pixels an image may declare: Pillow's decompression-bomb limit (<c>Image.MAX_IMAGE_PIXELS</c> · 2 =
    /// 178,956,970, about 13,377²). A few bytes of header can claim 100,000 × 100,000 pixels (40 GB as RGBA); such a
    /// file is refused from its header, before anything is allocated for its pixels.
    /// </summary>
    public const long MaxPixels = 2 * 89_478_485L;

    /// <summary>Width and height from the file header, without decoding the pixels (checked against <see cref="MaxPixels"/>).</summary>
    public static (int Width, int Height) Size(byte[] encoded, string origin)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(origin);
        return CheckSize(codec.Info.Width, codec.Info.Height, origin);
    }

    /// <summary>The declared size when it is positive and within <see cref="MaxPixels"/>; otherwise an error naming the file and the size.</summary>
    public static (int Width, int Height) CheckSize(long width, long height, string origin)
    {
        if (width <= 0 || height <= 0) throw Unreadable(origin);
        if (width * height > MaxPixels)
            throw new InvalidDataException(
                $"{origin}: the image declares {width} × {height} pixels ({width * height:N0}), more than the limit of {MaxPixels:N0} (a decompression bomb or a corrupt header)");
        return ((int)width, (int)height);
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="dest"/> (length channels·size·size, planar), resized as
    /// <paramref name="resize"/> says, a 16-bit PNG through <paramref name="window"/> (null: its own range); returns
    /// whether the file itself stores one gray channel (e.g. a grayscale PNG or JPEG).
    /// </summary>
    public static bool DecodeInto(byte[] encoded, string origin, int size, int channels, ResizeMode resize, IntensityWindow? window, Span<byte> dest)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(origin);
        CheckSize(codec.Info.Width, codec.Info.Height, origin);
        var png = PngColour(encoded);
        var sixteenBit = png is (16, _);
        var storedGray = codec.Info.ColorType == SKColorType.Gray8 || png is (16, 0 or 4);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = sixteenBit ? DecodeSixteenBit(encoded, codec, info, origin, window) : new SKBitmap(info);
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
        var (src, dst, notEnlarged) = resize == ResizeMode.Fit ? FitRects(info.Width, info.Height, size) : CropRects(info.Width, info.Height, size);
        using var target = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, src, dst, notEnlarged ? Down : Up, null);
        }
        WritePlanar(target.GetPixelSpan(), size, channels, dest);
        return storedGray;
    }

    /// <summary>Crop: the centred square of the shorter side, drawn onto the whole S×S target.</summary>
    static (SKRect Source, SKRect Dest, bool NotEnlarged) CropRects(int width, int height, int size)
    {
        var side = Math.Min(width, height);
        return (SKRect.Create((width - side) / 2, (height - side) / 2, side, side), SKRect.Create(0, 0, size, size), side >= size);
    }

    /// <summary>Fit: the whole image, drawn onto a centred band whose longer side is S (see the class comment).</summary>
    static (SKRect Source, SKRect Dest, bool NotEnlarged) FitRects(int width, int height, int size)
    {
        var (longer, shorter) = (Math.Max(width, height), Math.Min(width, height));
        var band = (int)Math.Max(1, (2L * shorter * size + longer) / (2L * longer)); // round(shorter · S / longer), halves up
        var offset = (size - band) / 2;
        var dest = width >= height ? SKRect.Create(0, offset, size, band) : SKRect.Create(offset, 0, band, size);
        return (SKRect.Create(0, 0, width, height), dest, longer >= size);
    }

    /// <summary>A PNG's (bit depth, colour type) from its header; null for other formats.</summary>
    static (int Depth, int ColourType)? PngColour(byte[] encoded) =>
        encoded.Length > 25 && encoded[0] == 0x89 && encoded[1] == (byte)'P' && encoded[12] == (byte)'I' && encoded[13] == (byte)'H'
            ? (encoded[24], encoded[25])
            : null;

    /// <summary>
    /// A 16-bit PNG (the usual export of X-rays, e.g. dcmtk's <c>dcm2pnm --write-16-bit-png</c>) scaled to 8 bits over its
    /// colour samples by <paramref name="window"/>, or, without one, by each image's own range (the window min:max of its
    /// samples), so a 12-bit image uses the whole 8-bit range instead of its lowest sixteenth; a flat image becomes 0.
    /// Samples are exact (<see cref="SixteenBitPng"/>); an interlaced file goes through Skia, which keeps 8 bits per sample.
    /// </summary>
    static SKBitmap DecodeSixteenBit(byte[] encoded, SKCodec codec, SKImageInfo target, string origin, IntensityWindow? window)
    {
        var samples = SixteenBitPng.ReadRgba(encoded, origin) ?? DecodeHalfFloats(codec, target, origin); // RGBA, 16-bit units
        if (window is null)
        {
            int min = ushort.MaxValue, max = 0;
            for (var i = 0; i < samples.Length; i++)
            {
                if (i % 4 == 3) continue; // alpha
                min = Math.Min(min, samples[i]);
                max = Math.Max(max, samples[i]);
            }
            window = max > min ? new IntensityWindow(min, max) : null;
        }
        var rgba = new byte[samples.Length]; // 8-bit RGBA, premultiplied (opaque for gray and RGB PNGs)
        for (var p = 0; p < samples.Length; p += 4)
        {
            var alpha = (samples[p + 3] * 255 + 32767) / 65535; // 16 → 8 bits, rounded
            rgba[p + 3] = (byte)alpha;
            for (var k = 0; k < 3; k++)
                rgba[p + k] = (byte)(((window?.Apply(samples[p + k]) ?? 0) * alpha + 127) / 255);
        }
        var bitmap = new SKBitmap(target);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>An interlaced 16-bit PNG through Skia's high-depth decode (half floats in [0, 1], 8-bit precise) as RGBA in 16-bit units.</summary>
    static ushort[] DecodeHalfFloats(SKCodec codec, SKImageInfo target, string origin)
    {
        var wide = new SKImageInfo(target.Width, target.Height, SKColorType.RgbaF16, SKAlphaType.Unpremul);
        using var full = new SKBitmap(wide);
        var result = codec.GetPixels(wide, full.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{origin}: 16-bit image could not be decoded ({result})");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(full.GetPixelSpan());
        var samples = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++) samples[i] = (ushort)Math.Round(Math.Clamp((float)values[i], 0f, 1f) * ushort.MaxValue);
        return samples;
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
