using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Data;

public class ImageDatasetSpreadTests
{
    [Fact]
    public void SpreadRows_AreEvenlySpaced_InOrder_AndAllRowsWhenNIsTheCount()
    {
        Assert.Equal([0L, 2, 4, 6, 8, 10, 12, 14, 16, 18], ImageDataset.SpreadRows(20, 10));
        Assert.Equal([0L, 3, 6], ImageDataset.SpreadRows(10, 3));
        Assert.Equal([0L, 1, 2], ImageDataset.SpreadRows(3, 3));
        Assert.Empty(ImageDataset.SpreadRows(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDataset.SpreadRows(3, 4));
    }

    [Fact]
    public void Spread_OfADatasetStoredClassByClass_ShowsEveryClass_AndAtMostItsRows()
    {
        // Image i is filled with the value i: the rows read back say which images were taken.
        using var pixels = arange(6, ScalarType.Byte).view(6, 1, 1, 1).expand(6, 1, 2, 2).contiguous();
        using var data = new ImageDataset("sorted", pixels, [0, 0, 0, 1, 1, 1]);
        using var two = data.Spread(2);
        Assert.Equal(new byte[] { 0, 3 }, two[.., 0, 0, 0].data<byte>().ToArray());
        using var all = data.Spread(100);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5 }, all[.., 0, 0, 0].data<byte>().ToArray());
    }
}
