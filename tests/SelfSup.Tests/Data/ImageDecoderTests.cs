using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class ImageDecoderTests
{
    /// <summary>The S×S gray plane <see cref="ImageDecoder.DecodeInto"/> writes for a PNG written by <paramref name="write"/>.</summary>
    static byte[] Decode(Action<string> write, int size, ResizeMode resize, IntensityWindow? window = null)
    {
        using var dir = new TempDir();
        var file = dir.File("image.png");
        write(file);
        var plane = new byte[size * size];
        ImageDecoder.DecodeInto(File.ReadAllBytes(file), file, size, 1, resize, window, plane);
        return plane;
    }

    static void Gray(string path, int width, int height, Func<int, int, byte> value) =>
        TestImages.WritePng(path, width, height, (x, y) => new SKColor(value(x, y), value(x, y), value(x, y)));

    /// <summary>An 8×4 image whose left half (x &lt; 4) is 40 and right half 200.</summary>
    static void LeftRight(string path) => Gray(path, 8, 4, (x, _) => (byte)(x < 4 ? 40 : 200));

    static byte[][] Rows(byte[] plane, int size) => plane.Chunk(size).ToArray();

    [Fact]
    public void Crop_TakesTheShorterSide_AndKeepsTheCentreColumns()
    {
        // Shorter side 4 = S: the centre crop is columns 2…5, two of each half.
        var rows = Rows(Decode(LeftRight, 4, ResizeMode.Crop), 4);
        Assert.All(rows, r => Assert.Equal(new byte[] { 40, 40, 200, 200 }, r));
    }

    [Fact]
    public void Fit_ScalesTheLongerSide_AndPadsAboveAndBelowWithBlack()
    {
        // Longer side 8 = S: the 8×4 image sits in rows 2…5, rows 0, 1, 6, 7 are black, nothing is cut off.
        var rows = Rows(Decode(LeftRight, 8, ResizeMode.Fit), 8);
        byte[] black = new byte[8], content = [40, 40, 40, 40, 200, 200, 200, 200];
        Assert.Equal(new[] { black, black, content, content, content, content, black, black }, rows);

        // S = 4: the image halves to 4×2 and sits in rows 1 and 2 (offset (4 − 2) / 2 = 1).
        var small = Rows(Decode(LeftRight, 4, ResizeMode.Fit), 4);
        Assert.Equal(new[] { new byte[4], [40, 40, 200, 200], [40, 40, 200, 200], new byte[4] }, small);
    }

    [Fact]
    public void Fit_PortraitImage_IsPaddedLeftAndRight()
    {
        // 4×8, top half 40, bottom half 200: columns 2…5 hold it, columns 0, 1, 6, 7 are black.
        var rows = Rows(Decode(p => Gray(p, 4, 8, (_, y) => (byte)(y < 4 ? 40 : 200)), 8, ResizeMode.Fit), 8);
        for (var y = 0; y < 8; y++)
        {
            var v = (byte)(y < 4 ? 40 : 200);
            Assert.Equal(new byte[] { 0, 0, v, v, v, v, 0, 0 }, rows[y]);
        }
    }

    [Fact]
    public void Fit_OddPadding_PutsTheExtraBlackRowBelow()
    {
        // 8×3 (rows 10, 20, 30) in S = 8: band 3, offset floor((8 − 3) / 2) = 2, so 2 black rows above and 3 below.
        var rows = Rows(Decode(p => Gray(p, 8, 3, (_, y) => (byte)(10 * (y + 1))), 8, ResizeMode.Fit), 8);
        Assert.Equal(new byte[] { 0, 0, 10, 20, 30, 0, 0, 0 }, rows.Select(r => r[0]).ToArray());
        Assert.All(rows, r => Assert.All(r, v => Assert.Equal(r[0], v)));
    }

    /// <summary>Row 0 of a 4×4 16-bit gray PNG whose columns hold <paramref name="columns"/>, decoded at its own size.</summary>
    static byte[] SixteenBitRow(ushort[] columns, IntensityWindow? window) =>
        Decode(p => TestImages.WriteSixteenBitGrayPng(p, 4, 4, (x, _) => columns[x]), 4, ResizeMode.Crop, window)[..4];

    [Fact]
    public void SixteenBitWindow_MapsFileUnitsLinearly_ClampsOutside_AndRoundsHalvesUp()
    {
        // 0:4095 — 255·1000/4095 = 62.27 → 62, 255·2048/4095 = 127.53 → 128, 5000 is above the window → 255.
        Assert.Equal(new byte[] { 0, 62, 128, 255 }, SixteenBitRow([0, 1000, 2048, 5000], new IntensityWindow(0, 4095)));
        // 1000:3000 — 500 below → 0, 255·999/2000 = 127.37 → 127, 255·1000/2000 = 127.5 → 128 (half up), 3000 → 255.
        Assert.Equal(new byte[] { 0, 127, 128, 255 }, SixteenBitRow([500, 1999, 2000, 3000], new IntensityWindow(1000, 3000)));
    }

    [Fact]
    public void SixteenBitSamples_AreExact_EvenWhereHalfFloatsMergeNeighbours()
    {
        // 40000…40003 are one value as half floats; read exactly they span a window of their own and the image's range.
        ushort[] values = [40000, 40001, 40002, 40003];
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, SixteenBitRow(values, new IntensityWindow(40000, 40003)));
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, SixteenBitRow(values, null));
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, SixteenBitRow([700, 700, 700, 700], null)); // a flat image is 0
    }

    [Fact]
    public void SixteenBitPng_UndoesEveryRowFilter_AgreeingWithSkia()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var values = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 5).Select(_ => (ushort)rng.Next(65536)).ToArray()).ToArray();
        var file = dir.File("filtered.png");
        TestImages.WriteSixteenBitGrayPng(file, 5, 5, (x, y) => values[y][x], cycleFilters: true); // rows filtered none, sub, up, average, Paeth
        var bytes = File.ReadAllBytes(file);

        var rgba = SixteenBitPng.ReadRgba(bytes, file)!;
        var expected = values.SelectMany(row => row.SelectMany(v => new[] { v, v, v, ushort.MaxValue })).ToArray();
        Assert.Equal(expected, rgba);

        // Skia reads the same file the same way, to its 8 bits per sample (one 8-bit step is 257 units).
        using var codec = SKCodec.Create(SKData.CreateCopy(bytes));
        var info = new SKImageInfo(5, 5, SKColorType.RgbaF16, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bitmap.GetPixels()));
        var skia = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bitmap.GetPixelSpan()).ToArray();
        Assert.All(Enumerable.Range(0, expected.Length), i => Assert.InRange((float)skia[i] * 65535 - expected[i], -300f, 300f));
    }
}
