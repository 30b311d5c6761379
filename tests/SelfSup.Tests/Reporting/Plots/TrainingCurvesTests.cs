using SelfSup.Reporting;
using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Reporting.Plots;

public class TrainingCurvesTests
{
    [Fact]
    public void Save_StacksOnePanelPerLoggedField()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("metrics.jsonl"),
        [
            """{"step":1,"epoch":1,"loss":5.0,"lr":0.1,"embedding_std":0.05}""",
            """{"step":2,"epoch":1,"loss":4.0,"lr":0.2,"embedding_std":0.06}""",
            """{"step":2,"epoch":1,"epoch_loss":4.5,"seconds":1.0}""",
        ]);
        var drawn = TrainingCurves.Save(MetricsFile.Read(dir.File("metrics.jsonl")), dir.File("curves.png"), width: 300, panelHeight: 100);
        Assert.Equal(["loss", "lr", "embedding_std"], drawn);
        using var png = Png.Read(dir.File("curves.png"));
        Assert.Equal((300, 300), (png.Width, png.Height));
    }

    [Fact]
    public void Save_DrawsOnlyTheFieldsPresent_AndNothingWithoutSteps()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("a.jsonl"), ["""{"step":1,"loss":5.0}""", """{"step":2,"loss":4.0}"""]);
        Assert.Equal(["loss"], TrainingCurves.Save(MetricsFile.Read(dir.File("a.jsonl")), dir.File("a.png"), width: 200, panelHeight: 100));
        using (var png = Png.Read(dir.File("a.png"))) Assert.Equal(100, png.Height);

        File.WriteAllLines(dir.File("b.jsonl"), ["""{"step":1,"epoch_loss":4.5}"""]);
        Assert.Empty(TrainingCurves.Save(MetricsFile.Read(dir.File("b.jsonl")), dir.File("b.png")));
        Assert.False(File.Exists(dir.File("b.png")));
    }
}
