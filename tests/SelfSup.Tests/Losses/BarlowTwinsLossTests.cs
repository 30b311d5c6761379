using SelfSup.Losses;
using static SelfSup.Tests.Losses.RedundancyReference;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>Barlow Twins' loss against the paper reference (redundancy_reference.py) and hand-checkable cases.</summary>
public class BarlowTwinsLossTests
{
    [Fact]
    public void Loss_ItsTerms_AndTheCrossCorrelation_MatchThePaperReference()
    {
        Assert.Equal(BarlowTwinsLoss.DefaultLambda, Scalar("barlow_lambda"));
        using var z1 = Matrix("z1");
        using var z2 = Matrix("z2");
        using var terms = BarlowTwinsLoss.Compute(z1, z2);
        Assert.Equal(Scalar("barlow_loss"), terms.Loss.item<float>(), 1e-5);
        Assert.Equal(Scalar("barlow_invariance"), terms.Invariance.item<float>(), 1e-5);
        Assert.Equal(Scalar("barlow_redundancy"), terms.Redundancy.item<float>(), 1e-5);
        using var c = BarlowTwinsLoss.CrossCorrelation(z1, z2);
        using var expected = Matrix("barlow_cross_correlation");
        AssertClose(expected, c, "cross-correlation");
    }

    [Fact]
    public void Gradient_ReachesBothBranches_AsInThePaperReference()
    {
        using var z1 = Matrix("z1", requiresGrad: true);
        using var z2 = Matrix("z2", requiresGrad: true);
        using var loss = BarlowTwinsLoss.Loss(z1, z2);
        loss.backward();
        using var g1 = Matrix("barlow_grad_z1");
        using var g2 = Matrix("barlow_grad_z2");
        Assert.True(g1.abs().max().item<float>() > 1e-3 && g2.abs().max().item<float>() > 1e-3, "the reference gradients are too small to test anything");
        AssertClose(g1, z1.grad!, "gradient of z1");
        AssertClose(g2, z2.grad!, "gradient of z2");
    }

    [Fact]
    public void IdenticalStandardisedDecorrelatedEmbeddings_GiveTheIdentity_AndZeroLoss_AtAnyScaleAndShift()
    {
        using var z = Decorrelated();                                   // [4, 3], columns mean 0, variance 1, orthogonal
        using var c = BarlowTwinsLoss.CrossCorrelation(z, z);
        AssertClose(eye(3), c, "C of standardised decorrelated embeddings", tolerance: 1e-4); // 1/(1 + ε) on the diagonal
        using var loss = BarlowTwinsLoss.Loss(z, z);
        Assert.True(loss.item<float>() < 1e-8, $"loss {loss.item<float>()}");
        using var moved = BarlowTwinsLoss.Loss(z * 3 + 5, z * 0.5 - 2); // standardisation removes scale and shift
        Assert.True(moved.item<float>() < 1e-8, $"loss after scaling and shifting {moved.item<float>()}");
    }

    [Fact]
    public void OppositeViews_CostFourPerDimension()
    {
        using var z = Decorrelated();
        using var terms = BarlowTwinsLoss.Compute(z, -z);               // C = −I: (1 − (−1))² per diagonal entry
        Assert.Equal(12f, terms.Invariance.item<float>(), 3);
        Assert.Equal(0f, terms.Redundancy.item<float>(), 6);
    }

    [Fact]
    public void ADuplicatedDimension_CostsLambdaPerOffDiagonalPair()
    {
        using var basis = Decorrelated();
        using var z = cat([basis.narrow(1, 0, 1), basis], 1);          // [4, 4]: columns a, a, b, c
        using var terms = BarlowTwinsLoss.Compute(z, z, lambda: 0.1);
        // C has ones on the diagonal and at (0, 1) and (1, 0): invariance 0, redundancy 2, loss 0.1 · 2.
        Assert.Equal(0f, terms.Invariance.item<float>(), 4);
        Assert.Equal(2f, terms.Redundancy.item<float>(), 4);
        Assert.Equal(0.2f, terms.Loss.item<float>(), 4);
    }

    [Fact]
    public void MismatchedOrSingleRowInputs_AreRejected_WithTheShapes()
    {
        using var a = zeros(4, 3);
        using var b = zeros(4, 5);
        var e = Assert.Throws<ArgumentException>(() => BarlowTwinsLoss.Compute(a, b));
        Assert.Contains("[4, 3] and [4, 5]", e.Message);
        using var one = zeros(1, 3);
        Assert.Throws<ArgumentException>(() => BarlowTwinsLoss.Compute(one, one));
        Assert.Throws<ArgumentException>(() => BarlowTwinsLoss.Compute(a, a, lambda: -1));
    }
}
