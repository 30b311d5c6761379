using SelfSup.Augment;
using SelfSup.Evaluation;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class BatchNormReestimationTests
{
    public BatchNormReestimationTests() => TorchRuntime.Initialize();

    [Fact]
    public void RunningStatistics_AreTheMeanOverBatchesOfTheConvOutputStatistics()
    {
        using var data = EvalData.RandomImages(64);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        BatchNormReestimation.Run(encoder, data, stats, CPU, batchSize: 16);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var conv = encoder.Conv.forward(stats.ToModelInput(data.Images, CPU)); // [64, 4, 8, 8]
        // Equal batches: the mean of batch means is the overall mean. Variances follow BatchNorm: unbiased per batch.
        var expectedMean = conv.mean([0L, 2L, 3L]);
        var expectedVar = stack(Enumerable.Range(0, 4).Select(b => conv.narrow(0, b * 16, 16).var([0L, 2L, 3L])).ToArray()).mean([0L]);
        Assert.True(encoder.Bn.running_mean!.sub(expectedMean).abs().max().item<float>() < 1e-5);
        Assert.True(encoder.Bn.running_var!.sub(expectedVar).abs().max().item<float>() < 1e-4);
        Assert.True(expectedVar.sub(1).abs().max().item<float>() > 0.05, "the test needs statistics that differ from the init values");
    }

    [Fact]
    public void EvalModeOutput_UsesTheReestimatedStatistics()
    {
        using var data = EvalData.RandomImages(32);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        BatchNormReestimation.Run(encoder, data, stats, CPU, batchSize: 16);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var conv = encoder.Conv.forward(stats.ToModelInput(data.Images.narrow(0, 0, 4), CPU)); // [4, 4, 8, 8]
        var bn = encoder.Bn;
        var expected = conv.sub(bn.running_mean!.view(1, 4, 1, 1)).div(bn.running_var!.add(bn.eps).sqrt().view(1, 4, 1, 1))
            .mul(bn.weight!.view(1, 4, 1, 1)).add(bn.bias!.view(1, 4, 1, 1));
        Assert.True(bn.forward(conv).sub(expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Parameters_AreUnchanged_MomentumRestored_AndEncoderLeftInEvalMode()
    {
        using var data = EvalData.RandomImages(40);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        encoder.train();
        var before = encoder.parameters().Select(p => p.detach().clone()).ToList();
        var updated = BatchNormReestimation.Run(encoder, data, stats, CPU, batchSize: 16);
        Assert.Equal(1, updated);
        Assert.All(encoder.parameters().Zip(before), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        Assert.False(encoder.training);
        Assert.All(encoder.modules(), m => Assert.False(m.training));
        Assert.Equal(0.1, encoder.Bn.momentum);
        foreach (var t in before) t.Dispose();
    }

    [Fact]
    public void Subset_IsSeeded_AndOnlyItsImagesCount()
    {
        using var data = EvalData.RandomImages(64);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        BatchNormReestimation.Run(encoder, data, stats, CPU, maxImages: 32, batchSize: 32, seed: 3);
        using var rows = BatchNormReestimation.SubsetRows(64, 32, 3);
        Assert.Equal(32, rows.unique().Item1.shape[0]);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var conv = encoder.Conv.forward(stats.ToModelInput(data.Images.index_select(0, rows), CPU)); // [32, 4, 8, 8]
        Assert.True(encoder.Bn.running_mean!.sub(conv.mean([0L, 2L, 3L])).abs().max().item<float>() < 1e-5);
    }
}
