using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;
using static TorchSharp.torch;

namespace SelfSup.Tests.Reporting.Plots;

public class EmbeddingScatterTests
{
    static readonly long[] Labels = [0, 0, 1, 1, 2, 2];
    static readonly string[] Names = ["cat", "dog", "ship"];

    static Tensor Layout() => tensor(new float[] { 0, 0, 1, 0, 5, 5, 6, 5, -5, 3, -4, 3 }, [6, 2]);

    [Fact]
    public void Save_WritesADecodablePngOfTheRequestedSize()
    {
        using var dir = new TempDir();
        using var layout = Layout();
        EmbeddingScatter.Save(dir.File("map.png"), layout, Labels, Names, "map", width: 400, height: 300);
        using var png = Png.Read(dir.File("map.png"));
        Assert.Equal((400, 300), (png.Width, png.Height));
    }

    [Fact]
    public void SaveSideBySide_PlacesPanelsInOneRow()
    {
        using var dir = new TempDir();
        using var a = Layout();
        using var b = Layout() * 2;
        EmbeddingScatter.SaveSideBySide(dir.File("both.png"), [(a, "a"), (b, "b")], Labels, Names, width: 320, height: 240);
        using var png = Png.Read(dir.File("both.png"));
        Assert.Equal((640, 240), (png.Width, png.Height));
    }

    [Fact]
    public void Build_HasOneLegendEntryPerClass_NamedByClassName()
    {
        using var layout = Layout();
        var plot = EmbeddingScatter.Build(layout, Labels, ["cat", "dog"], "map");
        var entries = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText).ToArray();
        Assert.Equal(["cat", "dog", "2"], entries);
    }

    [Fact]
    public void Build_RejectsALayoutThatIsNotTwoDimensional()
    {
        using var layout = zeros(6, 3);
        var e = Assert.Throws<ArgumentException>(() => EmbeddingScatter.Build(layout, Labels, Names, "map"));
        Assert.Contains("[6, 3]", e.Message);
    }
}
