using SelfSup.Tests.TestSupport;
using SelfSup.Augment;
using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class FrozenEvaluationTests
{
    public FrozenEvaluationTests() => TorchRuntime.Initialize();

    [Fact]
    public void Run_ScoresAllThreeFeatureSets_AndCapsTheTrainingSet()
    {
        using var train = EvalData.ColourClasses(300, classes: 6, seed: 1);
        using var test = EvalData.ColourClasses(120, classes: 6, seed: 2);
        var stats = ChannelStats.Measure(train);
        using var trained = new TinyEncoder(channels: 3, width: 8);
        using var random = new TinyEncoder(channels: 3, width: 8);
        var lines = new List<string>();
        var options = new FrozenEvalOptions { Device = CPU, K = 5, MaxTrainImages = 200, Log = new SyncProgress(lines.Add) };
        var report = FrozenEvaluation.Run(trained, random, train, test, stats, options);

        // Colour decides the class, so raw pixels separate it perfectly.
        Assert.Equal(100, report.RawPixels.Knn.Top1);
        Assert.Equal(100, report.RawPixels.Linear.Top1);
        foreach (var s in new[] { report.Trained, report.RandomInit })
        {
            Assert.InRange(s.Knn.Top1, 0, 100);
            Assert.InRange(s.Linear.Top1, 0, 100);
        }
        Assert.False(random.training);
        Assert.Contains(lines, l => l.Contains("200 train", StringComparison.Ordinal));
        Assert.True(report.Seconds > 0);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
