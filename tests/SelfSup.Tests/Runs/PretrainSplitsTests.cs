using SelfSup.Data;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

public class PretrainSplitsTests
{
    public PretrainSplitsTests() => TorchRuntime.Initialize();

    [Fact]
    public void SplitNames_AreJoinedByPlus_TrainByDefault_AndRepeatsAreRefused()
    {
        Assert.Equal(new[] { "train" }, Pretraining.PretrainSplitNames(null));
        Assert.Equal(new[] { "train", "val" }, Pretraining.PretrainSplitNames("train + val"));
        Assert.Contains("got 'train+train'", Assert.Throws<ArgumentException>(() => Pretraining.PretrainSplitNames("train+train")).Message);
        Assert.Contains("pretrain_splits", Assert.Throws<ArgumentException>(() => Pretraining.PretrainSplitNames("train+")).Message);
    }

    [Fact]
    public void Concat_PutsTheRowsOneAfterAnother_AndDropsLabelsWhenAsked()
    {
        using var a = new ImageDataset("a", full([2, 1, 2, 2], 7, ScalarType.Byte), [0, 1], ["x", "y"]);
        using var b = new ImageDataset("b", full([3, 1, 2, 2], 9, ScalarType.Byte), [1, 1, 0], ["x", "y"]);
        using var joined = ImageDataset.Concat([a, b], "ab");
        Assert.Equal(5, joined.Count);
        Assert.Equal(new long[] { 0, 1, 1, 1, 0 }, joined.Labels);
        Assert.Equal(new byte[] { 7, 7, 9, 9, 9 }, joined.Images.select(2, 0).select(2, 0).flatten().data<byte>().ToArray());
        using var unlabeled = ImageDataset.Concat([a, b], "ab", keepLabels: false);
        Assert.False(unlabeled.HasLabels);
        using var wide = new ImageDataset("wide", zeros([1, 3, 2, 2], ScalarType.Byte), null);
        Assert.Contains("joined splits must agree", Assert.Throws<ArgumentException>(() => ImageDataset.Concat([a, wide], "aw")).Message);
    }

    [Fact]
    public void PretrainingOnTrainPlusTest_ReadsEveryImage_WithoutLabels()
    {
        using var dir = new TempDir();
        var images = TinyRun.IdxWithoutTestSplit(dir.File("idx"), classes: 3, perClass: 10); // 30 images, 20 % held out as test
        var config = new RunConfig { Data = images };
        using var train = Pretraining.LoadTrainingImages(config);
        using var both = Pretraining.LoadTrainingImages(config with { PretrainSplits = "train+test" });
        Assert.Equal(24, train.Count);
        Assert.Equal(30, both.Count);
        Assert.False(both.HasLabels);
        // The first rows are the train split's, in order.
        Assert.Equal(train.Images.data<byte>().ToArray(), both.Range(0, 24).data<byte>().ToArray());
    }
}
