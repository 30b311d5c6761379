using SelfSup.Augment;
using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public class ReconstructionLossTests
{
    static readonly ChannelStats Stats = new([0.5f], [0.25f]);

    [Fact]
    public void Mse_IsTheMeanSquaredErrorOverEveryEntry_AndPerImageItsSum()
    {
        var loss = new ReconstructionLoss(ReconstructionKind.Mse, Stats);
        using var output = tensor(new float[] { 1, 2, 3, 4, 0, 0, 0, 0 }).view(2, 1, 2, 2);
        using var target = zeros(2, 1, 2, 2);
        using var perImage = loss.PerImage(output, target);
        Assert.Equal(30f, perImage[0].item<float>(), 5);   // 1 + 4 + 9 + 16
        Assert.Equal(0f, perImage[1].item<float>());
        using var mean = loss.Mean(output, target);
        Assert.Equal(30f / 8, mean.item<float>(), 5);
    }

    [Fact]
    public void Bce_UnnormalisesItsTarget_AndScoresLogitsZeroAsLn2PerEntry()
    {
        var loss = new ReconstructionLoss(ReconstructionKind.Bce, Stats);
        using var x = tensor(new float[] { -2, 2, 0, 1 }).view(1, 1, 2, 2);        // normalised
        using var target = loss.Target(x);
        Assert.Equal(new float[] { 0, 1, 0.5f, 0.75f }, target.data<float>().ToArray()); // x · 0.25 + 0.5
        using var output = zeros(1, 1, 2, 2);
        using var perImage = loss.PerImage(output, target);
        Assert.Equal(4 * Math.Log(2), perImage.item<float>(), 5);                  // −log σ(0) = ln 2, whatever the target
    }

    [Fact]
    public void ToModelInput_IsTheIdentityForMse_AndTheNormalisedSigmoidForBce()
    {
        using var output = tensor(new float[] { 0, 100 }).view(1, 1, 1, 2);
        using var mse = new ReconstructionLoss(ReconstructionKind.Mse, Stats).ToModelInput(output);
        Assert.Equal(new float[] { 0, 100 }, mse.data<float>().ToArray());
        using var bce = new ReconstructionLoss(ReconstructionKind.Bce, Stats).ToModelInput(output);
        Assert.Equal(new float[] { 0, 2 }, bce.data<float>().ToArray());           // (0.5 − 0.5)/0.25, (1 − 0.5)/0.25
    }

    [Fact]
    public void MismatchedShapes_AreRejected()
    {
        var loss = new ReconstructionLoss(ReconstructionKind.Mse, Stats);
        using var a = zeros(2, 1, 2, 2);
        using var b = zeros(2, 1, 2, 3);
        Assert.Throws<ArgumentException>(() => loss.PerImage(a, b));
    }
}
