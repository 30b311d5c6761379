using SelfSup.Evaluation;
using SelfSup.Reporting;

namespace SelfSup.Tests.Reporting;

public class LabelEfficiencyPlotTests
{
    static ArmScore S(double mean, double std) => new(mean, std, [mean]);

    [Fact]
    public void ThePlot_IsWrittenAsAPng()
    {
        var results = new LabelEfficiencyResults
        {
            Dataset = "d",
            Encoder = "e",
            Seeds = [0, 1],
            FineTune = FineTuneOptionsSummary.Of(new FineTuneOptions()),
            Scratch = FineTuneOptionsSummary.Of(new FineTuneOptions()),
            Points =
            [
                new LabelEfficiencyPoint { LabelsPerClass = "1", PerClass = 1, Scratch = S(20, 2), LinearProbe = S(40, 3), FineTune = S(42, 1) },
                new LabelEfficiencyPoint { LabelsPerClass = "10", PerClass = 10, Scratch = S(50, 2), LinearProbe = S(60, 1), FineTune = S(65, 1) },
                new LabelEfficiencyPoint { LabelsPerClass = "all", PerClass = 6000, Scratch = S(90, 0), LinearProbe = S(85, 0), FineTune = S(92, 0) },
            ],
        };
        var dir = Directory.CreateTempSubdirectory("le-plot");
        try
        {
            var path = Path.Combine(dir.FullName, "label_efficiency.png");
            LabelEfficiencyPlot.Save(results, path);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.False(File.Exists(path + ".tmp.png"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
