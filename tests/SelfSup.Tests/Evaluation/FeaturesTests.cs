using SelfSup.Augment;
using SelfSup.Evaluation;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class FeaturesTests
{
    public FeaturesTests() => TorchRuntime.Initialize();

    [Fact]
    public void Extract_ReturnsEvalModeEmbeddingOfEveryImage()
    {
        using var data = EvalData.RandomImages(37);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        // Running statistics far from the batch statistics make train-mode and eval-mode outputs differ.
        using (no_grad()) encoder.Bn.running_mean!.fill_(0.5f);
        using var features = Features.Extract(encoder, data, stats, CPU, batchSize: 16);
        Assert.Equal([37L, 4L], features.shape);
        Assert.Equal(ScalarType.Float32, features.dtype);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        encoder.eval();
        var expected = encoder.forward(stats.ToModelInput(data.Images, CPU)); // [37, 4]
        Assert.True(features.sub(expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Extract_RestoresEachModulesMode()
    {
        using var data = EvalData.RandomImages(8);
        var stats = ChannelStats.Measure(data);
        using var encoder = new TinyEncoder(channels: 3, width: 4);
        encoder.train();
        encoder.Bn.eval(); // a mixed setting, as with frozen BatchNorms
        Features.Extract(encoder, data, stats, CPU).Dispose();
        Assert.True(encoder.training);
        Assert.True(encoder.Conv.training);
        Assert.False(encoder.Bn.training);

        encoder.eval();
        Features.Extract(encoder, data, stats, CPU).Dispose();
        Assert.False(encoder.training);
        Assert.False(encoder.Conv.training);
    }

    [Fact]
    public void RawPixels_AreTheNormalisedImagesFlattened()
    {
        using var data = EvalData.RandomImages(10, size: 5);
        var stats = ChannelStats.Measure(data);
        using var pixels = Features.RawPixels(data, stats, batchSize: 3);
        Assert.Equal([10L, 75L], pixels.shape);
        // Row 4, channel 2, pixel (1, 3) sits at 2·25 + 1·5 + 3 = 58.
        var raw = data.Images[4, 2, 1, 3].item<byte>();
        Assert.Equal((raw / 255f - stats.Mean[2]) / stats.Std[2], pixels[4, 58].item<float>(), 1e-5);
    }
}
