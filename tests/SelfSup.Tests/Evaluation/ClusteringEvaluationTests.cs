using SelfSup.Evaluation;
using SelfSup.Numerics;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class ClusteringEvaluationTests
{
    public ClusteringEvaluationTests() => TorchRuntime.Initialize();

    [Fact]
    public void Score_IsPerfect_WhenClassesPointInDifferentDirections()
    {
        // Two classes along different axes at varying lengths: only the direction (kept by L2 normalisation) separates them.
        using var x = tensor(new float[,] { { 1, 0.01f }, { 9, 0 }, { 0.5f, 0.02f }, { 0, 1 }, { 0.03f, 7 }, { 0, 0.2f } });
        var s = ClusteringEvaluation.Score(x, [0, 0, 0, 1, 1, 1], options: new KMeansOptions { Restarts = 2 });
        Assert.Equal(2, s.K);
        Assert.Equal(1.0, s.Nmi, 9);
        Assert.Equal(1.0, s.Ari, 9);
        Assert.Equal(100.0, s.Accuracy);
    }

    [Fact]
    public void Score_RejectsMismatchedFeatureAndLabelCounts()
    {
        using var x = zeros(4, 2);
        var error = Assert.Throws<ArgumentException>(() => ClusteringEvaluation.Score(x, [0, 1, 0]));
        Assert.Contains("4 feature rows but 3 labels", error.Message);
    }
}
