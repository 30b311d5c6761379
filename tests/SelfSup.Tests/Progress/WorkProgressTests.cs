using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Progress;
using SelfSup.Tests.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Progress;

public class WorkProgressTests
{
    public WorkProgressTests() => TorchRuntime.Initialize();

    /// <summary>Collects every status, in order (reports come synchronously from the working thread).</summary>
    sealed class Recorder : IProgress<WorkStatus>
    {
        public List<WorkStatus> Seen { get; } = [];
        public void Report(WorkStatus value) { lock (Seen) Seen.Add(value); }
        public List<WorkStatus> Of(string name) => Seen.Where(s => s.Name == name).ToList();
    }

    /// <summary>Starts at 0, never goes back, ends finished at the total.</summary>
    static void AssertCountsUpToTheTotal(List<WorkStatus> statuses, long total)
    {
        Assert.NotEmpty(statuses);
        Assert.Equal(0, statuses[0].Done);
        Assert.All(statuses, s => Assert.Equal(total, s.Total));
        for (var i = 1; i < statuses.Count; i++) Assert.True(statuses[i].Done >= statuses[i - 1].Done, $"went back at report {i}");
        Assert.True(statuses[^1].Finished);
        Assert.Equal(total, statuses[^1].Done);
        Assert.Single(statuses, s => s.Finished);
    }

    [Fact]
    public void Line_ShowsBarPercentRateAndEta_ComputedFromTheElapsedTime()
    {
        var s = new WorkStatus(1, "features", 250, 1000, "images", TimeSpan.FromSeconds(5), Finished: false);
        // 250 in 5 s is 50/s; 750 left take 15 s.
        Assert.Equal("features [#####---------------] 25% 250/1,000 images, 50.0 images/s, ETA 15 s", s.Line());
        Assert.Equal(TimeSpan.FromSeconds(15), s.Eta);
        var done = s with { Done = 1000, Elapsed = TimeSpan.FromSeconds(200), Finished = true };
        Assert.EndsWith("100% 1,000/1,000 images, 5.0 images/s, done in 3 min 20 s", done.Line());
        Assert.Null((s with { Done = 0 }).Eta);
        Assert.Equal("1 h 01 min", WorkStatus.Seconds(TimeSpan.FromSeconds(3690)));
    }

    [Fact]
    public void FeatureExtraction_ReportsEveryBatch_UpToTheImageCount()
    {
        using var data = EvalData.ColourClasses(50, 2);
        manual_seed(0);
        using var encoder = EncoderRegistry.Create("convnet", new EncoderOptions(3, 8, Width: 4));
        var recorder = new Recorder();
        using (WorkProgress.Listen(recorder))
        using (Features.Extract(encoder, data, new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), CPU, batchSize: 16)) { }
        var features = recorder.Of("features");
        AssertCountsUpToTheTotal(features, 50);
        // 50 images in batches of 16: 16, 32, 48, 50, then the closing report.
        Assert.Equal(new long[] { 0, 16, 32, 48, 50, 50 }, features.Select(s => s.Done));
    }

    [Fact]
    public void Knn_TSne_AndTheLabelEfficiencyGrid_ReportTheirOwnUnits()
    {
        var recorder = new Recorder();
        using (WorkProgress.Listen(recorder))
        {
            using var train = randn(40, 8);
            using var test = randn(30, 8);
            Knn.Evaluate(train, [.. Enumerable.Range(0, 40).Select(i => (long)(i % 2))], test, [.. Enumerable.Range(0, 30).Select(i => (long)(i % 2))], 2, k: 5);
            using var y = Tsne.Embed(randn(20, 5), new TsneOptions { Iterations = 60, ExaggerationIterations = 20, Perplexity = 5 });
            using var pile = EvalData.ColourClasses(30, 3);
            var arms = new LabelEfficiencyArms((_, _) => new ArmRun(1, 0), (_, _) => new ArmRun(2), (_, _) => new ArmRun(3, 0));
            LabelEfficiency.RunArms(pile, new LabelEfficiencyOptions { LabelsPerClass = [1, 2], Seeds = [0, 1, 2] }, arms);
        }
        AssertCountsUpToTheTotal(recorder.Of("k-NN"), 30);
        Assert.Equal("queries", recorder.Of("k-NN")[0].Unit);
        AssertCountsUpToTheTotal(recorder.Of("t-SNE"), 60);
        var grid = recorder.Of("label efficiency");
        AssertCountsUpToTheTotal(grid, 6); // 2 counts × 3 seeds
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6, 6 }, grid.Select(s => s.Done));
    }

    [Fact]
    public void NobodyListening_CostsNothing_AndAListenerSeesOnlyItsOwnContext()
    {
        using (var meter = WorkProgress.Start("quiet", 3, "things")) meter.Advance(3); // no listener: no error
        var mine = new Recorder();
        var other = new Recorder();
        using (WorkProgress.Listen(mine))
        {
            var worker = new Thread(() =>
            {
                using var _ = WorkProgress.Listen(other);
                using var meter = WorkProgress.Start("elsewhere", 2, "things");
                meter.Advance(2);
            });
            worker.Start();
            worker.Join();
            using var m = WorkProgress.Start("here", 1, "things");
            m.Advance();
        }
        Assert.Equal(["here"], mine.Seen.Select(s => s.Name).Distinct());
        Assert.Equal(["elsewhere"], other.Seen.Select(s => s.Name).Distinct());
        Assert.Null(WorkProgress.Current);
    }

    [Fact]
    public void AMeterEndedByAnException_StillReportsItselfFinished()
    {
        var recorder = new Recorder();
        using (WorkProgress.Listen(recorder))
        {
            Action fail = () =>
            {
                using var meter = WorkProgress.Start("failing", 10, "steps");
                meter.Advance(4);
                throw new InvalidOperationException("boom");
            };
            Assert.Throws<InvalidOperationException>(fail);
        }
        Assert.True(recorder.Seen[^1].Finished);
        Assert.Equal(4, recorder.Seen[^1].Done);
    }
}
