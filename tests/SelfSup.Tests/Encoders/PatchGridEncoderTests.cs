using SelfSup.Encoders;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class PatchGridEncoderTests
{
    [Fact]
    public void Features_AtRowIColumnJ_AreTheInnerEncodersEmbedding_OfThePatchThere()
    {
        manual_seed(0);
        var inner = new TinyEncoder(channels: 2, width: 5);
        using var grid = new PatchGridEncoder(inner, channels: 2, patchSize: 4, stride: 2);
        grid.eval();
        using var x = randn([3, 2, 10, 8], generator: new Generator(1));          // G_h = 4, G_w = 3
        using var features = grid.ForwardFeatures(x);                             // [3, 5, 4, 3]
        Assert.Equal(new long[] { 3, 5, 4, 3 }, features.shape);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
            {
                using var patch = x.narrow(2, 2 * i, 4).narrow(3, 2 * j, 4);      // rows 2i…2i+3, columns 2j…2j+3
                using var expected = inner.forward(patch);                        // [3, 5]
                using var actual = features.select(2, i).select(2, j);            // [3, 5]
                TensorAssert.Close(expected, actual, 1e-5, $"patch ({i}, {j})");
            }
        using var pooled = grid.forward(x);                                       // [3, 5]
        using var mean = features.mean([2L, 3L]);
        TensorAssert.Close(mean, pooled, 1e-6, "pooled embedding");
    }

    [Fact]
    public void Grid_CountsThePatchesThatFit_AndRejectsImagesSmallerThanAPatch()
    {
        manual_seed(0);
        using var grid = new PatchGridEncoder(new TinyEncoder(), channels: 1, patchSize: 8, stride: 4);
        Assert.Equal(7, grid.GridFor(32));
        Assert.Equal(6, grid.GridFor(28)); // the last 4 px are left out
        var e = Assert.Throws<ArgumentException>(() => grid.GridFor(6));
        Assert.Contains("patch_size ≤ image size", e.Message);
    }

    [Fact]
    public void AnEncoderThatCannotEncodeThePatches_IsAnErrorNamingThePatchSize()
    {
        manual_seed(0);
        // Two 2 × 2 max-pools leave nothing of a 2-px patch.
        var convnet = new ConvNet(new ConvNetOptions(InChannels: 1, Width: 4));
        var e = Assert.Throws<ArgumentException>(() => new PatchGridEncoder(convnet, channels: 1, patchSize: 2, stride: 1));
        Assert.Contains("patch_size", e.Message);
        Assert.Contains("2 × 2", e.Message);
        Assert.True(convnet.training, "the check left the encoder in evaluation mode");
    }
}
