using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class DatasetFilesTests
{
    public DatasetFilesTests() => TorchRuntime.Initialize();

    /// <summary>Class folders x/ and y/, 4 images each, the pixel value telling the image apart: 10·(4·class + i).</summary>
    static string Folder(TempDir dir, string name)
    {
        for (var c = 0; c < 2; c++)
            for (var i = 0; i < 4; i++)
            {
                var v = (byte)(10 * (4 * c + i));
                TestImages.WritePng(dir.File($"{name}/{(c == 0 ? "x" : "y")}/{i}.png"), 8, 8, (_, _) => new SKColor(v, v, v));
            }
        return dir.File(name);
    }

    [Fact]
    public void AllSplit_IsEveryImageInFolderOrder_AndItsRowFilesAreThoseImages()
    {
        using var dir = new TempDir();
        var root = Folder(dir, "data");
        var options = new DatasetOptions { CacheDir = dir.File("cache") };
        using var all = Datasets.Load(root, Datasets.AllSplit, options);
        var files = DatasetFiles.RowFiles(root, Datasets.AllSplit, options, all.Count);

        Assert.Equal(8, all.Count);
        Assert.NotNull(files);
        for (var r = 0; r < 8; r++)
        {
            // Row r's pixels say which file it is; the listed file must be that one.
            var value = all.Range(r, 1)[0, 0, 0, 0].item<byte>();
            var (c, i) = (value / 10 / 4, value / 10 % 4);
            Assert.Equal(Path.GetFullPath(dir.File($"data/{(c == 0 ? "x" : "y")}/{i}.png")), files[r]);
            Assert.Equal(c, all.Labels![r]);
        }
    }

    [Fact]
    public void HeldOutSplits_AndWrongCounts_HaveNoRowFiles_ButGivenSplitFoldersDo()
    {
        using var dir = new TempDir();
        var root = Folder(dir, "data");
        var options = new DatasetOptions { CacheDir = dir.File("cache") };
        Assert.Null(DatasetFiles.RowFiles(root, "test", options, 2));          // a held-out share
        Assert.Null(DatasetFiles.RowFiles(root, Datasets.AllSplit, options, 7)); // an image was skipped
        Folder(dir, "split/train");
        Folder(dir, "split/test");
        var test = DatasetFiles.RowFiles(dir.File("split"), "test", options, 8);
        Assert.Equal(Path.GetFullPath(dir.File("split/test/x/0.png")), test![0]);
    }
}
