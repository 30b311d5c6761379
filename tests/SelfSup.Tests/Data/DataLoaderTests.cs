using SelfSup.Data;
using SelfSup.Tests.TestSupport;

namespace SelfSup.Tests.Data;

public sealed class DataLoaderTests : IDisposable
{
    readonly ImageDataset data = SyntheticData.Random(10, channels: 1, size: 4, classes: 5);

    public void Dispose() => data.Dispose();

    [Fact]
    public void Order_IsFixedBySeedAndEpoch_AcrossProcesses()
    {
        // Hard-coded: a resumed run in a new process must see the same order (no per-process hash seeds).
        var loader = new DataLoader(data, batchSize: 3, seed: 7);
        Assert.Equal(new long[] { 9, 5, 7, 3, 0, 1, 2, 4, 8, 6 }, loader.Order(0));
        Assert.Equal(new long[] { 0, 1, 2, 5, 3, 7, 4, 8, 6, 9 }, loader.Order(1));
    }

    [Fact]
    public void Order_IsAPermutation_ThatChangesWithEpochAndSeed()
    {
        var loader = new DataLoader(data, batchSize: 3, seed: 7);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), loader.Order(0).Order());
        Assert.NotEqual(loader.Order(0), loader.Order(1));
        Assert.NotEqual(loader.Order(0), new DataLoader(data, 3, seed: 8).Order(0));
    }

    [Fact]
    public void Epoch_DropsTheLastPartialBatch_AndResumesMidEpoch()
    {
        var loader = new DataLoader(data, batchSize: 3, seed: 1);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var all = loader.Epoch(0).Select(b => { using (b) return b.Indices; }).ToList();
        Assert.Equal(3, all.Count);
        var resumed = loader.Epoch(0, startBatch: 2).Select(b => { using (b) return b.Indices; }).ToList();
        Assert.Equal(all[2], Assert.Single(resumed));
        using var batch = loader.Epoch(0).First();
        Assert.Equal(new long[] { 3, 1, 4, 4 }, batch.Images.shape);
        Assert.Equal(batch.Indices.Select(i => data.Labels![i]), batch.Labels!.data<long>().ToArray());
        Assert.Equal(4, new DataLoader(data, 3, seed: 1, dropLast: false).BatchesPerEpoch);
    }

    [Fact]
    public void BatchLargerThanDataset_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(data, batchSize: 11, seed: 0));
        Assert.Contains("batch_size 11", e.Message);
        Assert.Contains("10 images", e.Message);
    }
}
