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

    /// <summary>
    /// A 16-bit grayscale PNG written byte by byte (SkiaSharp does not encode 16-bit PNGs). Rows are unfiltered, or, with
    /// <paramref name="cycleFilters"/>, row y is filtered with type y mod 5 (none, sub, up, average, Paeth; PNG spec §9.2).
    /// </summary>
    public static void WriteSixteenBitGrayPng(string path, int width, int height, Func<int, int, ushort> value, bool cycleFilters = false)
    {
        var stride = 2 * width;
        var rows = Enumerable.Range(0, height)
            .Select(y => Enumerable.Range(0, width).SelectMany(x => new[] { (byte)(value(x, y) >> 8), (byte)value(x, y) }).ToArray()).ToArray();
        var raw = new List<byte>();
        for (var y = 0; y < height; y++)
        {
            var filter = cycleFilters ? y % 5 : 0;
            raw.Add((byte)filter);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= 2 ? rows[y][i - 2] : 0, b = y > 0 ? rows[y - 1][i] : 0, c = i >= 2 && y > 0 ? rows[y - 1][i - 2] : 0;
                var (pa, pb, pc) = (Math.Abs(b - c), Math.Abs(a - c), Math.Abs(a + b - 2 * c)); // |p − a|, |p − b|, |p − c| for p = a + b − c
                var predictor = filter switch { 1 => a, 2 => b, 3 => (a + b) / 2, 4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c, _ => 0 };
                raw.Add((byte)(rows[y][i] - predictor));
            }
        }
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Png(("IHDR", Ihdr(width, height, depth: 16, colourType: 0)), ("IDAT", compressed.ToArray()), ("IEND", [])));
    }

    /// <summary>A PNG file of the given chunks (type, data), each with its length and a correct CRC-32.</summary>
    public static byte[] Png(params (string Type, byte[] Data)[] chunks)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        foreach (var (type, data) in chunks)
        {
            var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            file.Write(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(data.Length)));
            file.Write(typed);
            file.Write(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Crc32(typed))));
        }
        return file.ToArray();
    }

    /// <summary>A PNG header chunk's data: width, height, bit depth, colour type, compression 0, filter 0, interlace.</summary>
    public static byte[] Ihdr(int width, int height, byte depth = 8, byte colourType = 2, byte interlace = 0)
    {
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9], header[12]) = (depth, colourType, interlace);
        return header;
    }

    static uint Crc32(byte[] bytes) // PNG's CRC-32 (reflected polynomial 0xEDB88320)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    public static void WriteSolid(string path, int width, int height, SKColor color) => WritePng(path, width, height, (_, _) => color);
}
