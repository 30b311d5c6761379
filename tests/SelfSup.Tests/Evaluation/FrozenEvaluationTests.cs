using SelfSup.Augment;
using SelfSup.Evaluation;
using SelfSup.Tests.TestSupport;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_ReestimatesTheTrainedEncodersBatchNorm_OnlyWhenAsked(bool reestimate)
    {
        using var train = EvalData.ColourClasses(200, classes: 4, seed: 1);
        using var test = EvalData.ColourClasses(40, classes: 4, seed: 2);
        var stats = ChannelStats.Measure(train);
        using var trained = new TinyEncoder(channels: 3, width: 8);
        using var random = new TinyEncoder(channels: 3, width: 8);
        using var twin = new TinyEncoder(channels: 3, width: 8);
        twin.load_state_dict(trained.state_dict());
        // Pretraining left running statistics that fit augmented views, not these images.
        using (no_grad())
        {
            trained.Bn.running_mean!.fill_(5);
            twin.Bn.running_mean!.fill_(5);
        }
        var options = new FrozenEvalOptions { Device = CPU, K = 5, ReestimateTrainedBatchNorm = reestimate, BatchNormImages = 200 };
        FrozenEvaluation.Run(trained, random, train, test, stats, options);

        if (reestimate)
        {
            // The same re-estimation the random-init baseline gets: same images, same seed.
            BatchNormReestimation.Run(twin, train, stats, CPU, 200, seed: 0);
            Assert.True(trained.Bn.running_mean!.allclose(twin.Bn.running_mean!, rtol: 1e-5, atol: 1e-6));
            Assert.True(trained.Bn.running_mean!.abs().max().item<float>() < 5);
        }
        else
        {
            Assert.True(trained.Bn.running_mean!.eq(5).all().item<bool>());
        }
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
