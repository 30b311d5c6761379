using SelfSup.Data;
using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;
using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Reporting.Plots;

public class NeighbourGridTests
{
    [Fact]
    public void CosineNeighbours_RankByAngle_AndSkipTheQueryItself()
    {
        // Directions at 0°, 10°, 90°, about 200°: point 0's neighbours by cosine are 1, then 2; point 2's are 1, then 0.
        using var x = tensor(new float[] { 1, 0, 0.985f, 0.174f, 0, 3, -2, -0.7f }, [4, 2]);
        var n = NeighbourGrid.CosineNeighbours(x, x, k: 2, excludeSelf: true);
        Assert.Equal([1L, 2L], n[0]);
        Assert.Equal([1L, 0L], n[2]);
        Assert.Equal([0L, 1L], NeighbourGrid.CosineNeighbours(x.narrow(0, 0, 1), x, k: 2)[0]);
    }

    [Fact]
    public void Save_DrawsOneRowPerQuery_WithGreenFramesForMatchesAndRedForMisses()
    {
        using var dir = new TempDir();
        using var images = new ImageDataset("tiny", full([3, 1, 4, 4], 200, ScalarType.Byte), [0, 0, 1]);
        NeighbourGrid.Save(dir.File("grid.png"), images, [0], images, [[1, 2]], cell: 16);
        using var png = Png.Read(dir.File("grid.png"));
        // Layout: gap 6, cells of 16 + 2·4 border + 6 gap = 30 px, 16 px between the query and its neighbours.
        Assert.Equal((6 + 30 + 16 + 2 * 30, 6 + 30), (png.Width, png.Height));
        var firstNeighbour = 6 + 30 + 16;
        Assert.Equal(new SKColor(0x2c, 0xa0, 0x2c), png.GetPixel(firstNeighbour + 1, 6 + 1));
        Assert.Equal(new SKColor(0xd6, 0x27, 0x28), png.GetPixel(firstNeighbour + 30 + 1, 6 + 1));
        // Inside a cell: the image's own grey.
        Assert.Equal(new SKColor(200, 200, 200), png.GetPixel(firstNeighbour + 4 + 8, 6 + 4 + 8));
    }

    [Fact]
    public void ToBitmap_KeepsColourChannelsInPlace()
    {
        using var image = tensor(new byte[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120 }, [3, 2, 2]);
        using var bitmap = NeighbourGrid.ToBitmap(image);
        Assert.Equal(new SKColor(10, 50, 90), bitmap.GetPixel(0, 0));
        Assert.Equal(new SKColor(40, 80, 120), bitmap.GetPixel(1, 1));
    }

    [Fact]
    public void Save_RejectsDataWithoutLabels()
    {
        using var dir = new TempDir();
        using var images = new ImageDataset("unlabeled", zeros([2, 1, 4, 4], ScalarType.Byte), null);
        var e = Assert.Throws<ArgumentException>(() => NeighbourGrid.Save(dir.File("g.png"), images, [0], images, [[1]]));
        Assert.Contains("unlabeled", e.Message);
    }
}
