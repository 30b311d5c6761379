using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class GaussianBlurTests
{
    [Fact]
    public void Kernels_SumToOne_AndMatchHandValues()
    {
        using var scope = NewDisposeScope();
        var k = GaussianBlur.Kernels(tensor(new float[] { 1f, 0.5f, 2f }), 3); // [3, 3]
        Assert.True(TestImages.MaxAbsDiff(k.sum(1), ones(3)) < 1e-6f);
        // sigma 1: [e^-1/2, 1, e^-1/2] / (1 + 2 e^-1/2)
        var e = (float)Math.Exp(-0.5);
        var expected = new[] { e, 1, e }.Select(v => v / (1 + 2 * e)).ToArray();
        var row = k[0].data<float>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], row[i], 6);
    }

    [Fact]
    public void Blur_PreservesAConstantImage()
    {
        using var scope = NewDisposeScope();
        var x = full(4, 3, 9, 9, 0.37f);
        var y = new GaussianBlur(7, p: 1).Apply(x, TestImages.Seeded(1));
        Assert.True(TestImages.MaxAbsDiff(y, x) < 1e-6f);
    }

    [Fact]
    public void Blur_OfAnImpulse_IsTheOuterProductOfTheKernel_AndSumsToOne()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 1, 9, 9);
        x[0, 0, 4, 4] = tensor(1f);
        var y = new GaussianBlur(5, sigmaMin: 1, sigmaMax: 1, p: 1).Apply(x, TestImages.Seeded(2));
        var k = GaussianBlur.Kernels(tensor(new float[] { 1f }), 5)[0]; // [5]
        var expected = zeros(9, 9);
        expected[2..7, 2..7] = k.outer(k);
        Assert.True(TestImages.MaxAbsDiff(y[0, 0], expected) < 1e-6f);
        Assert.Equal(1f, y.sum().item<float>(), 5);
    }

    [Fact]
    public void Blur_UsesEachSamplesOwnSigma()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 2, 9, 9);
        x[.., .., 4, 4] = tensor(1f);
        var y = new GaussianBlur(5, p: 1).Apply(x, TestImages.Seeded(3));
        Assert.True(y[0, 0].SameAs(y[0, 1])); // channels of one sample share its kernel
        Assert.False(y[0].allclose(y[1]));
    }

    [Fact]
    public void Blur_WithPZero_IsIdentity()
    {
        using var scope = NewDisposeScope();
        var x = TestImages.Uniform(4, [4, 3, 8, 8]);
        Assert.True(new GaussianBlur(3, p: 0).Apply(x, TestImages.Seeded(5)).SameAs(x));
    }

    [Fact]
    public void KernelSizeFor_IsAboutTenPercentAndOdd()
    {
        Assert.Equal(7, GaussianBlur.KernelSizeFor(64));
        Assert.Equal(9, GaussianBlur.KernelSizeFor(96));
        Assert.Equal(23, GaussianBlur.KernelSizeFor(224));
    }
}
