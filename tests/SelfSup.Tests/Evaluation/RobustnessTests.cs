using SelfSup.Augment;
using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class RobustnessTests
{
    public RobustnessTests() => TorchRuntime.Initialize();

    [Fact]
    public void Evaluate_ScoresEveryCorruptionAndSeverity_WithAProbeFittedOnCleanFeatures()
    {
        using var train = EvalData.ColourClasses(60, classes: 3, seed: 1);
        using var test = EvalData.ColourClasses(30, classes: 3, seed: 2);
        var stats = ChannelStats.Measure(train);
        var source = MetricsFeatureSource.RawPixels(stats);
        var options = new RobustnessOptions { Device = CPU, Corruptions = [CorruptionKind.Contrast, CorruptionKind.Occlusion], Seed = 3 };
        var a = Robustness.Evaluate(source, train, test, options);
        var b = Robustness.Evaluate(source, train, test, options);
        Assert.Equal(100.0, a.CleanTop1); // the colour classes are linearly separable in pixel space
        Assert.Equal(10, a.Corrupted.Count);
        Assert.Equal(["contrast", "occlusion"], a.MeanByCorruption.Keys.Order());
        Assert.Equal(a.Corrupted.Select(s => s.Top1), b.Corrupted.Select(s => s.Top1)); // seeded corruptions
        // Each score is what a probe fitted on the clean features scores on the images corrupted with the same seed.
        foreach (var kind in options.Corruptions)
        {
            using var g = new Generator((ulong)(3 * 1000L + (int)kind * 10 + 5));
            using var corrupted = Corruptions.ApplyToBytes(test.Images, kind, 5, g, CPU);
            using var xTrain = source.Extract(train.Images);
            using var xTest = source.Extract(corrupted);
            var expected = LinearProbe.Evaluate(xTrain, train.Labels!, xTest, test.Labels!, 3, new LinearProbeOptions()).Top1;
            Assert.Equal(expected, a.Corrupted.Single(s => s.Corruption == Corruptions.Name(kind) && s.Severity == 5).Top1, 9);
        }
    }
}
