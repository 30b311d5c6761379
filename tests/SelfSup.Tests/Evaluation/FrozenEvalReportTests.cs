using System.Text.Json;
using SelfSup.Evaluation;

namespace SelfSup.Tests.Evaluation;

public class FrozenEvalReportTests
{
    [Fact]
    public void Json_HasTheSnakeCaseShape()
    {
        var report = new FrozenEvalReport(
            new FeatureScores(new KnnResult(81.5, 95), new LinearProbeResult(84.25, 90)),
            new FeatureScores(new KnnResult(30, 60), new LinearProbeResult(35, 40)),
            new FeatureScores(new KnnResult(35.5, 70), new LinearProbeResult(39, 45)),
            seconds: 12.5);
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal(["knn_top1", "linear_top1", "random_init", "raw_pixels"], root.EnumerateObject().Select(p => p.Name).Order().ToArray());
        Assert.Equal(81.5, root.GetProperty("knn_top1").GetDouble());
        Assert.Equal(84.25, root.GetProperty("linear_top1").GetDouble());
        Assert.Equal(30, root.GetProperty("random_init").GetProperty("knn_top1").GetDouble());
        Assert.Equal(39, root.GetProperty("raw_pixels").GetProperty("linear_top1").GetDouble());
        Assert.Equal(["knn_top1", "linear_top1"], root.GetProperty("random_init").EnumerateObject().Select(p => p.Name).Order().ToArray());
    }

    [Fact]
    public void JsonObject_AcceptsRunMetadata()
    {
        var s = new FeatureScores(new KnnResult(1, 2), new LinearProbeResult(3, 4));
        var node = new FrozenEvalReport(s, s, s, 1).ToJsonObject();
        node["method"] = "simclr";
        Assert.Equal("simclr", (string?)node["method"]);
        Assert.Equal(3, (double)node["linear_top1"]!);
    }
}
