using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public class GaussianKlTests
{
    [Fact]
    public void Kl_MatchesTheClosedFormByHand()
    {
        // μ = [1, 0], log σ² = [0, ln 4]: ½[(1 + 1 − 1 − 0) + (0 + 4 − 1 − ln 4)] = ½(4 − ln 4) = 1.306853.
        using var mu = tensor(new float[] { 1, 0, 0, 0 }).view(2, 2);
        using var logVar = tensor(new float[] { 0, (float)Math.Log(4), 0, 0 }).view(2, 2);
        using var kl = GaussianKl.ToStandardNormal(mu, logVar);
        Assert.Equal(new long[] { 2 }, kl.shape);
        Assert.Equal(0.5 * (4 - Math.Log(4)), kl[0].item<float>(), 5);
        Assert.Equal(0.0, kl[1].item<float>(), 6); // q equals the prior
    }

    [Fact]
    public void Kl_IsPositive_AwayFromThePrior()
    {
        using var mu = randn(16, 5, generator: new TorchSharp.torch.Generator(1));
        using var logVar = randn(16, 5, generator: new TorchSharp.torch.Generator(2));
        using var kl = GaussianKl.ToStandardNormal(mu, logVar);
        Assert.True(kl.min().item<float>() > 0);
    }

    [Fact]
    public void MismatchedShapes_AreRejected()
    {
        using var mu = zeros(2, 3);
        using var logVar = zeros(2, 4);
        Assert.Throws<ArgumentException>(() => GaussianKl.ToStandardNormal(mu, logVar));
    }
}
