using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Tests.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class ChannelStatsTests
{
    public ChannelStatsTests() => TorchRuntime.Initialize();

    [Fact]
    public void AllImages_GiveTorchsMeanAndUnbiasedStd_WhateverTheChunks()
    {
        using var data = EvalData.RandomImages(13, size: 5);
        using var x = data.Range(0, 13).to(ScalarType.Float64).div(255.0);
        using var mean = x.mean([0L, 2L, 3L]);
        using var std = x.std([0L, 2L, 3L]);
        foreach (var chunk in new[] { 1, 4, 13, 100 })
        {
            var stats = ChannelStats.Measure(data, maxImages: 100, chunkRows: chunk);
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(mean[c].item<double>(), stats.Mean[c], 5);
                Assert.Equal(std[c].item<double>(), stats.Std[c], 5);
            }
        }
    }

    [Fact]
    public void ADatasetStoredClassByClass_IsMeasuredOverAllItsClasses()
    {
        // 10 black images, then 10 at 204 in every channel: the first 10 rows alone would say the mean is 0.
        using var pixels = cat([zeros(10, 3, 4, 4, ScalarType.Byte), full(10, 3, 4, 4, 204, ScalarType.Byte)], 0);
        using var data = new ImageDataset("sorted", pixels, Enumerable.Range(0, 20).Select(i => (long)(i / 10)).ToArray());
        var stats = ChannelStats.Measure(data, maxImages: 10, chunkRows: 3);
        // Rows 0, 2, …, 18: five of each class, so the mean is 0.4 and the unbiased std 0.4·√(160/159).
        Assert.All(stats.Mean, m => Assert.Equal(0.4, m, 6));
        Assert.All(stats.Std, s => Assert.Equal(0.4 * Math.Sqrt(160.0 / 159), s, 6));
    }

    [Fact]
    public void AConstantChannel_HasTheSmallestStd_NotZero()
    {
        using var pixels = full(4, 1, 3, 3, 7, ScalarType.Byte);
        using var data = new ImageDataset("flat", pixels, null);
        var stats = ChannelStats.Measure(data);
        Assert.Equal(7 / 255.0, stats.Mean[0], 6);
        Assert.Equal(1e-3, stats.Std[0], 6);
    }
}
