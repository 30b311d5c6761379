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

    /// <summary>A 16-bit grayscale PNG written byte by byte (SkiaSharp does not encode 16-bit PNGs).</summary>
    public static void WriteSixteenBitGrayPng(string path, int width, int height, Func<int, int, ushort> value)
    {
        var raw = new List<byte>();
        for (var y = 0; y < height; y++)
        {
            raw.Add(0); // filter: none
            for (var x = 0; x < width; x++) { var v = value(x, y); raw.Add((byte)(v >> 8)); raw.Add((byte)v); }
        }
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        void Chunk(string type, byte[] data)
        {
            var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            file.Write(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(data.Length)));
            file.Write(typed);
            file.Write(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Crc32(typed))));
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
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 16; // bit depth; colour type 0 (gray), no interlace
        Chunk("IHDR", header);
        Chunk("IDAT", compressed.ToArray());
        Chunk("IEND", []);
        File.WriteAllBytes(path, file.ToArray());
    }

    public static void WriteSolid(string path, int width, int height, SKColor color) => WritePng(path, width, height, (_, _) => color);
}
