using System.Buffers.Binary;
using System.IO.Compression;
using CsCheck;
using SelfSup.Data;
using SelfSup.Tests.Data;
using SkiaSharp;
using Decoder = SelfSup.Data.ImageDecoder;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class ImageFuzzTests
{
    const string PngSeed = "0000001diBl0";
    const string JpegSeed = "0000001diBm0";

    static byte[] Encode(SKEncodedImageFormat format, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(40 * x), (byte)(60 * y), 200));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    static byte[] Zlib(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest)) z.Write(raw);
        return ms.ToArray();
    }

    static readonly byte[] Png8 = Encode(SKEncodedImageFormat.Png, 5, 4);
    static readonly byte[] Jpeg = Encode(SKEncodedImageFormat.Jpeg, 9, 7);

    static byte[] SixteenBitSeed()
    {
        using var dir = new TempDir();
        TestImages.WriteSixteenBitGrayPng(dir.File("x.png"), 3, 3, (x, y) => (ushort)(9000 * x + 700 * y), cycleFilters: true);
        return File.ReadAllBytes(dir.File("x.png"));
    }

    static readonly byte[] Png16 = SixteenBitSeed();

    /// <summary>Width, height, depth, colour type and interlace of the first chunk (IHDR); the CRC then no longer fits.</summary>
    static readonly Field[] PngHeader = [new(16, 4, true), new(20, 4, true), new(24, 1), new(25, 1), new(28, 1), new(8, 4, true)];

    /// <summary>The height and width of the JPEG's start-of-frame segment (FF C0 or FF C2).</summary>
    static Field[] JpegFrame(byte[] jpeg)
    {
        for (var i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xff && jpeg[i + 1] is 0xc0 or 0xc2)
                return [new(i + 5, 2, true), new(i + 7, 2, true), new(i + 9, 1), new(i + 2, 2, true)];
        throw new InvalidOperationException("the seed JPEG has no start-of-frame segment");
    }

    /// <summary>PNGs with a valid CRC whose header declares extreme sizes, any depth and colour type, over a little image data.</summary>
    static readonly Gen<byte[]> StructuredPng = Gen.Select(
        Gen.Frequency((3, Mutations.Extreme.Select(v => (int)v)), (2, Gen.Int[1, 8]), (1, Gen.Const(100_000))),
        Gen.Frequency((3, Mutations.Extreme.Select(v => (int)v)), (2, Gen.Int[1, 8]), (1, Gen.Const(100_000))),
        Gen.OneOf(Gen.Const((byte)8), Gen.Const((byte)16), Gen.Const((byte)1), Gen.Byte),
        Gen.OneOf(Gen.Const((byte)0), Gen.Const((byte)2), Gen.Const((byte)4), Gen.Const((byte)6), Gen.Const((byte)3), Gen.Byte),
        Gen.Int[0, 1].Select(i => (byte)i), Gen.Byte.Array[0, 200], Gen.Bool,
        (w, h, depth, colour, interlace, raw, twoHeaders) => TestImages.Png(
            [("IHDR", TestImages.Ihdr(w, h, depth, colour, interlace)), .. twoHeaders ? [("IHDR", TestImages.Ihdr(100_000, 100_000, depth, colour, interlace))] : Array.Empty<(string, byte[])>(),
             ("IDAT", Zlib(raw)), ("IEND", [])]));

    static void Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (w, h) = Decoder.Size(bytes, path);
        Assert.True(w > 0 && h > 0 && (long)w * h <= Decoder.MaxPixels);
        Decoder.DecodeInto(bytes, path, 8, 3, ResizeMode.Crop, null, new byte[3 * 8 * 8]);
        Decoder.DecodeInto(bytes, path, 6, 1, ResizeMode.Fit, new IntensityWindow(1000, 20000), new byte[6 * 6]);
    }

    [Fact]
    public void HostilePngFiles_DecodeOrFailNamingTheFile()
    {
        var cases = Gen.Frequency((3, Mutations.Of(Png8, PngHeader)), (3, Mutations.Of(Png16, PngHeader)), (3, StructuredPng))
            .Select(b => new HostileCase("image.png", b));
        HostileFiles.Check(cases, PngSeed, Decode, [typeof(InvalidDataException)]);
    }

    [Fact]
    public void HostileJpegFiles_DecodeOrFailNamingTheFile()
    {
        var frame = JpegFrame(Jpeg);
        var huge = Jpeg.ToArray();
        Mutations.Write(huge.AsSpan(frame[0].Offset, 2), 65535, true);
        Mutations.Write(huge.AsSpan(frame[1].Offset, 2), 65535, true);
        var cases = Gen.Frequency((3, Mutations.Of(Jpeg, frame)), (1, Mutations.Of(huge, frame)))
            .Select(b => new HostileCase("image.jpg", b));
        HostileFiles.Check(cases, JpegSeed, Decode, [typeof(InvalidDataException)]);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void ClassFolderWithAHundredThousandSquarePng_IsRefusedNamingTheFileAndItsSize(byte depth)
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        TestImages.WriteSolid(Path.Combine(dir.Path, "cats", "small.png"), 4, 4, SKColors.Red);
        var bomb = Path.Combine(dir.Path, "dogs", "bomb.png");
        Directory.CreateDirectory(Path.GetDirectoryName(bomb)!);
        File.WriteAllBytes(bomb, TestImages.Png(("IHDR", TestImages.Ihdr(100_000, 100_000, depth, 0)), ("IDAT", Zlib(new byte[64])), ("IEND", [])));

        foreach (var options in new[] { new DatasetOptions(), new DatasetOptions { ImageSize = 4 } })
        {
            var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path, options).Dispose());

            Assert.Contains(bomb, e.Message, StringComparison.Ordinal);
            Assert.Contains("100000 × 100000", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(65500)] // libjpeg's largest dimension: refused by the pixel limit
    [InlineData(65535)] // beyond it: libjpeg itself refuses the header
    public void JpegDeclaringAHugeSquare_IsRefusedFromItsHeader(int side)
    {
        using var dir = new TempDir();
        var path = dir.File("huge.jpg");
        var bytes = Jpeg.ToArray();
        var frame = JpegFrame(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(frame[0].Offset), (ushort)side);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(frame[1].Offset), (ushort)side);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => Decoder.DecodeInto(bytes, path, 8, 3, ResizeMode.Crop, null, new byte[3 * 8 * 8]));

        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        if (side == 65500) Assert.Contains("65500 × 65500", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SixteenBitPngWithASecondHugeHeader_IsReadFromItsFirstHeader()
    {
        var ihdr = Png16.AsSpan(8 + 8, 13).ToArray();
        var rest = Png16.AsSpan(8 + 25).ToArray(); // the chunks after IHDR (data and end), CRCs intact
        byte[] doubled = [.. TestImages.Png(("IHDR", ihdr), ("IHDR", TestImages.Ihdr(100_000, 100_000, 16, 0))), .. rest];

        var samples = SixteenBitPng.ReadRgba(doubled, "doubled.png");

        Assert.Equal(SixteenBitPng.ReadRgba(Png16, "plain.png"), samples);
        Assert.Equal(9000 * 2 + 700 * 1, samples![4 * (1 * 3 + 2)]); // pixel (x 2, y 1), gray in R
    }
}
