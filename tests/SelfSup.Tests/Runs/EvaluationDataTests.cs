using SelfSup.Data;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;

namespace SelfSup.Tests.Runs;

/// <summary>One checkpoint pretrained on a labelled IDX file without a test split, shared by the tests.</summary>
public sealed class TinyCheckpoint : IDisposable
{
    readonly TempDir dir = new();

    public TinyCheckpoint()
    {
        TorchRuntime.Initialize();
        Path = TinyRun.Pretrain(TinyRun.IdxWithoutTestSplit(dir.File("data")), dir.File("run"));
    }

    public string Path { get; }
    public string Missing => dir.File("none.ckpt");
    public void Dispose() => dir.Dispose();
}

public sealed class EvaluationDataTests(TinyCheckpoint tiny) : IClassFixture<TinyCheckpoint>
{
    readonly string checkpoint = tiny.Path;

    sealed class Lines : IProgress<string>
    {
        public List<string> All { get; } = [];
        public void Report(string value) => All.Add(value);
    }

    static HashSet<string> Rows(ImageDataset d)
    {
        var bytes = d.Images.data<byte>().ToArray();
        var stride = d.Channels * d.Height * d.Width;
        return Enumerable.Range(0, d.Count).Select(r => Convert.ToHexString(bytes, r * stride, stride)).ToHashSet();
    }

    [Fact]
    public void Pretraining_OnADatasetWithoutTestSplit_UsesOnlyTheRowsNotHeldOut()
    {
        var config = Checkpoint.ReadState(checkpoint).Config;

        Assert.Equal(24, config.TrainImages); // 30 images, 2 of every 10 held out
    }

    [Fact]
    public void Open_OnADatasetWithoutTestSplit_TestsOnHeldOutRowsOnly_AndSaysSoOnce()
    {
        var log = new Lines();
        using var data = EvaluationData.Open(checkpoint, new EvalDataSettings { Log = log });

        Assert.Equal(24, data.Train.Count);
        Assert.Equal(6, data.Test.Count);
        Assert.Empty(Rows(data.Train).Intersect(Rows(data.Test)));
        Assert.Equal(30, Rows(data.Train).Union(Rows(data.Test)).Count());
        Assert.Equal(new long[] { 0, 0, 1, 1, 2, 2 }, data.Test.Labels!.Order());
        Assert.Single(log.All, l => l.Contains("no test split", StringComparison.Ordinal));
        Assert.Contains(log.All, l => l == "train-images-idx3-ubyte has no test split: holding out a seeded, stratified 20 % (6 images) as the test split; the train split is the other 24");
        var fields = data.SplitFields();
        Assert.Equal("held_out_20pct_seed_0", (string?)fields["test_split"]);
        Assert.Equal(24, (int?)fields["split_train_images"]);
        Assert.Equal(6, (int?)fields["split_test_images"]);
    }

    [Fact]
    public void Open_WithLimitsAndFraction_SubsetsEachSplit_AndRecordsTheSizesBeforeThem()
    {
        using var data = EvaluationData.Open(checkpoint, new EvalDataSettings { TestFraction = 0.4, TrainLimit = 10, TestLimit = 5, Seed = 3 });

        Assert.Equal(10, data.Train.Count);
        Assert.Equal(5, data.Test.Count);
        Assert.Empty(Rows(data.Train).Intersect(Rows(data.Test)));
        Assert.Equal(18, data.SplitSize("train"));
        Assert.Equal(12, data.SplitSize("test"));
        Assert.Equal("held_out_40pct_seed_0", data.TestSplit.Key);
        Assert.Equal(data.Config.ImageSize, data.Test.Height);
    }

    [Fact]
    public void Open_LoadsOnlyTheSplitsAskedFor()
    {
        using var data = EvaluationData.Open(checkpoint, new EvalDataSettings());

        Assert.Equal(6, data.Split("test").Count);
        Assert.Null(data.SplitSize("train"));
        Assert.Same(data.Test, data.Split("test"));
    }

    [Fact]
    public void Open_RejectsAMissingCheckpointAndABadFraction()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => EvaluationData.Open(tiny.Missing, new EvalDataSettings()));
        var fraction = Assert.Throws<ArgumentException>(() => EvaluationData.Open(checkpoint, new EvalDataSettings { TestFraction = 1 }));

        Assert.Contains(tiny.Missing, missing.Message);
        Assert.Contains("--test-fraction", fraction.Message);
    }

    [Fact]
    public void CheckpointEvaluation_RecordsTheHeldOutSplitInTheResults()
    {
        var results = CheckpointEvaluation.Run(checkpoint, new EvalSettings { Data = new EvalDataSettings(), K = 3 });

        Assert.Equal("held_out_20pct_seed_0", results.TestSplit);
        Assert.Equal((24, 6), (results.EvalTrainImages, results.EvalTestImages));
        Assert.Equal((24, 6), (results.SplitTrainImages, results.SplitTestImages));
        Assert.Contains("\"test_split\": \"held_out_20pct_seed_0\"", results.ToJson());
    }
}
