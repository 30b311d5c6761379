using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Reporting.Plots;

public class PngCanvasTests
{
    static SKBitmap Filled(int w, int h, SKColor colour)
    {
        var b = new SKBitmap(w, h);
        b.Erase(colour);
        return b;
    }

    [Fact]
    public void Tile_PlacesPanelsRowMajor_InCellsOfTheLargestPanel()
    {
        using var a = Filled(10, 5, SKColors.Red);
        using var b = Filled(6, 8, SKColors.Blue);
        using var c = Filled(4, 4, SKColors.Green);
        using var tiled = PngCanvas.Tile([a, b, c], columns: 2);
        Assert.Equal((20, 16), (tiled.Width, tiled.Height));
        Assert.Equal(SKColors.Red, tiled.GetPixel(0, 0));
        Assert.Equal(SKColors.Blue, tiled.GetPixel(10, 0));
        Assert.Equal(SKColors.Green, tiled.GetPixel(0, 8));
        Assert.Equal(SKColors.White, tiled.GetPixel(19, 15));
    }

    [Fact]
    public void Save_WritesAPngThatDecodesToTheSamePixels()
    {
        using var dir = new TempDir();
        using var a = Filled(7, 3, SKColors.Orange);
        PngCanvas.Save(a, dir.File("sub/a.png"));
        using var png = Png.Read(dir.File("sub/a.png"));
        Assert.Equal((7, 3), (png.Width, png.Height));
        Assert.Equal(SKColors.Orange, png.GetPixel(6, 2));
        Assert.False(File.Exists(dir.File("sub/a.png.tmp")));
    }
}
