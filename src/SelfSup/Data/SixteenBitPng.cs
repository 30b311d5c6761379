using System.Buffers.Binary;
using System.IO.Compression;

namespace SelfSup.Data;

/// <summary>
/// The exact samples of a non-interlaced 16-bit PNG (gray, gray + alpha, RGB, RGBA, with an optional tRNS colour key),
/// read from its chunks: the IDAT stream inflated and unfiltered as the PNG specification (ISO/IEC 15948, §9) says.
/// SkiaSharp 3.119 decodes 16-bit PNGs at 8 bits per sample even into half floats (40000 comes back as 156/255), so a
/// 12-bit image would keep only 16 gray levels: far too coarse for an intensity window given in the file's own units.
/// </summary>
internal static class SixteenBitPng
{
    /// <summary>RGBA samples in 16-bit units, row by row ([H, W, 4]); null for an interlaced file.</summary>
    public static ushort[]? ReadRgba(byte[] png, string origin)
    {
        int width = 0, height = 0, colourType = 0, interlace = 0;
        byte[]? key = null;
        using var idat = new MemoryStream();
        for (var pos = 8; pos + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (length < 0 || pos + 12L + length > png.Length) throw Corrupt(origin, $"its {type} chunk runs past the end of the file");
            var data = png.AsSpan(pos + 8, length);
            if (type == "IHDR" && length >= 13 && width == 0)
                (width, height, colourType, interlace) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]), data[9], data[12]);
            else if (type == "tRNS")
                key = data.ToArray();
            else if (type == "IDAT")
                idat.Write(data);
            else if (type == "IEND")
                break;
            pos += 12 + length;
        }
        if (interlace != 0) return null;
        var channels = colourType switch
        {
            0 => 1,
            4 => 2,
            2 => 3,
            6 => 4,
            _ => throw Corrupt(origin, $"colour type {colourType} cannot have 16-bit samples"),
        };
        if (width <= 0 || height <= 0) throw Corrupt(origin, "no image header");
        ImageDecoder.CheckSize(width, height, origin);
        var bpp = 2 * channels;
        var stride = width * bpp;
        var raw = new byte[(stride + 1L) * height];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            z.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw Corrupt(origin, "its image data is truncated or corrupt");
        }
        Unfilter(raw, stride, height, bpp, origin);

        var rgba = new ushort[4L * width * height];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (var x = 0; x < width; x++)
            {
                var px = row.Slice(x * bpp, bpp);
                var o = 4 * (y * width + x);
                var (r, g, b) = channels < 3 ? (Sample(px, 0), Sample(px, 0), Sample(px, 0)) : (Sample(px, 0), Sample(px, 1), Sample(px, 2));
                var a = channels is 2 or 4 ? Sample(px, channels - 1)
                    : key is not null && key.Length == bpp && px.SequenceEqual(key) ? 0
                    : ushort.MaxValue;
                (rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3]) = ((ushort)r, (ushort)g, (ushort)b, (ushort)a);
            }
        }
        return rgba;
    }

    /// <summary>The big-endian 16-bit sample <paramref name="k"/> of one pixel's bytes.</summary>
    static int Sample(ReadOnlySpan<byte> pixel, int k) => (pixel[2 * k] << 8) | pixel[2 * k + 1];

    /// <summary>Reverses the per-row filters (none, sub, up, average, Paeth) in place; bytes wrap modulo 256.</summary>
    static void Unfilter(byte[] raw, int stride, int height, int bpp, string origin)
    {
        for (var y = 0; y < height; y++)
        {
            var start = y * (stride + 1);
            var filter = raw[start];
            var cur = raw.AsSpan(start + 1, stride);
            ReadOnlySpan<byte> prev = y == 0 ? new byte[stride] : raw.AsSpan(start - stride, stride);
            for (var i = 0; i < stride; i++)
            {
                int left = i >= bpp ? cur[i - bpp] : 0, up = prev[i], upLeft = i >= bpp ? prev[i - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw Corrupt(origin, $"row {y} has unknown filter type {filter}"),
                };
                cur[i] = (byte)(cur[i] + predictor);
            }
        }
    }

    static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static InvalidDataException Corrupt(string origin, string what) => new($"{origin}: not a readable 16-bit PNG ({what})");
}
