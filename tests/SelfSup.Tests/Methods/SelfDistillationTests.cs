using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

/// <summary>DINO's two collapse modes, read from the teacher's entropies.</summary>
public class SelfDistillationTests
{
    [Fact]
    public void MeanEntropy_IsZeroWhenEveryImageIsOnTheSameDimension_AndLogKWhenImagesSpread()
    {
        using var same = zeros(6, 4);
        same[.., 2] = tensor(1f);                                        // every image one-hot on dimension 2
        Assert.Equal(0.0, SelfDistillation.MeanEntropy(same).item<float>(), 5);
        Assert.Equal(0.0, SelfDistillation.Entropy(same).item<float>(), 5);

        using var spread = eye(4);                                       // each image one-hot on its own dimension
        Assert.Equal(Math.Log(4), SelfDistillation.MeanEntropy(spread).item<float>(), 5);
        Assert.Equal(0.0, SelfDistillation.Entropy(spread).item<float>(), 5); // sharp for each image, yet no collapse

        using var twoViews = stack([spread, spread]);                     // [views, B, K] rows pool across views
        Assert.Equal(Math.Log(4), SelfDistillation.MeanEntropy(twoViews).item<float>(), 5);
    }

    [Fact]
    public void OutputCollapse_NamesTheOneHotAndTheUniformMode_AndIsQuietBetween()
    {
        const int k = 1024;
        var logK = Math.Log(k);
        var oneHot = SelfDistillation.OutputCollapse(new Dictionary<string, double> { ["teacher_entropy"] = 0.01, ["teacher_mean_entropy"] = 0.05 * logK }, k);
        Assert.NotNull(oneHot);
        Assert.Contains("one-hot", oneHot);
        var uniform = SelfDistillation.OutputCollapse(new Dictionary<string, double> { ["teacher_entropy"] = 0.995 * logK, ["teacher_mean_entropy"] = logK }, k);
        Assert.NotNull(uniform);
        Assert.Contains("uniform", uniform);
        // Sharp for each image but spread over the batch: healthy.
        Assert.Null(SelfDistillation.OutputCollapse(new Dictionary<string, double> { ["teacher_entropy"] = 0.5, ["teacher_mean_entropy"] = 0.8 * logK }, k));
        Assert.Null(SelfDistillation.OutputCollapse(new Dictionary<string, double>(), k));
    }
}
