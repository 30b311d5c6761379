using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public class NtXentLossTests
{
    static Tensor T(float[,] rows) => tensor(rows);

    [Fact]
    public void InfoNce_MatchesTextbookCase_EasyNegative()
    {
        // cos(a, p) = 0.99388, cos(a, n) = −0.8, τ = 0.5: −log(e^1.98776 / (e^1.98776 + e^−1.6)) = 0.02728.
        using var loss = InfoNceLoss.PerAnchor(T(new float[,] { { 1, 0 } }), T(new float[,] { { 0.9f, 0.1f } }),
            tensor(new float[] { -0.8f, 0.6f }).view(1, 1, 2), 0.5);
        Assert.Equal(0.027284, loss.item<float>(), 5);
    }

    [Fact]
    public void InfoNce_MatchesExactArithmetic_HardNegative()
    {
        // cos(a, n) = 0.7/√0.58 = 0.91915. Exact arithmetic gives 0.6212; the textbook rounds that cosine to
        // 0.919 and the loss to 0.622.
        using var loss = InfoNceLoss.PerAnchor(T(new float[,] { { 1, 0 } }), T(new float[,] { { 0.9f, 0.1f } }),
            tensor(new float[] { 0.7f, 0.3f }).view(1, 1, 2), 0.5);
        Assert.Equal(0.621199, loss.item<float>(), 5);
    }

    [Fact]
    public void NtXent_MatchesHandComputedValue_TwoImages()
    {
        // Reference computed element by element (tests/SelfSup.Tests/Fixtures/ntxent_reference.py).
        using var loss = NtXentLoss.Compute(T(new float[,] { { 1, 0 }, { 0, 1 } }), T(new float[,] { { 0.6f, 0.8f }, { 0.8f, -0.6f } }), 0.5);
        Assert.Equal(2.030190, loss.item<float>(), 5);
    }

    [Fact]
    public void NtXent_MatchesHandComputedValue_ThreeImagesLowTemperature()
    {
        using var loss = NtXentLoss.Compute(
            T(new float[,] { { 1, 2, 3 }, { -1, 0.5f, 2 }, { 0, 0, 1 } }),
            T(new float[,] { { 1, 2, 2.5f }, { -1, 1, 2 }, { 0.3f, -0.2f, 1 } }), 0.1);
        Assert.Equal(0.378496, loss.item<float>(), 5);
    }

    [Fact]
    public void NtXent_IsSymmetricInTheTwoViews()
    {
        using var g = new Generator(3);
        using var a = randn([16, 8], generator: g);
        using var b = randn([16, 8], generator: g);
        using var ab = NtXentLoss.Compute(a, b, 0.2);
        using var ba = NtXentLoss.Compute(b, a, 0.2);
        Assert.Equal(ab.item<float>(), ba.item<float>(), 5);
    }

    [Fact]
    public void NtXent_IsInvariantToRowScale()
    {
        using var g = new Generator(4);
        using var a = randn([6, 5], generator: g);
        using var b = randn([6, 5], generator: g);
        using var l1 = NtXentLoss.Compute(a, b, 0.5);
        using var l2 = NtXentLoss.Compute(a * 3.0, b * 0.25, 0.5);
        Assert.Equal(l1.item<float>(), l2.item<float>(), 5);
    }

    [Fact]
    public void NtXent_RejectsBadInput()
    {
        using var a = ones(4, 3);
        using var b = ones(4, 2);
        Assert.Contains("same shape", Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(a, b, 0.5)).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(a, a, 0)).Message);
        using var one = ones(1, 3);
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(one, one, 0.5)).Message);
    }
}
