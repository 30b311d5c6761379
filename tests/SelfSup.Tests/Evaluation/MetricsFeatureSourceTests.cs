using SelfSup.Augment;
using SelfSup.Evaluation;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class MetricsFeatureSourceTests
{
    public MetricsFeatureSourceTests() => TorchRuntime.Initialize();

    [Fact]
    public void RawPixels_MatchFeaturesRawPixels_AcrossBatchBoundaries()
    {
        using var data = EvalData.RandomImages(10);
        var stats = ChannelStats.Measure(data);
        using var expected = Features.RawPixels(data, stats);
        using var actual = MetricsFeatureSource.RawPixels(stats).Extract(data.Images, batchSize: 3);
        Assert.True(actual.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void Encoder_MatchesFeaturesExtract_AndAppliesTheTransformPerBatch()
    {
        using var data = EvalData.RandomImages(7);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        using var expected = Features.Extract(encoder, data, stats, CPU);
        var source = MetricsFeatureSource.FromEncoder("encoder", encoder, stats, CPU);
        using var actual = source.Extract(data.Images, batchSize: 2);
        Assert.True(actual.allclose(expected, atol: 1e-5));
        var starts = new List<long>();
        using var transformed = source.Extract(data.Images, 3, (batch, start) => { starts.Add(start); return batch; });
        Assert.Equal(new long[] { 0, 3, 6 }, starts);
    }
}
