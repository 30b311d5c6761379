using SelfSup.Losses;
using static SelfSup.Tests.Losses.RedundancyReference;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>VICReg's loss against the paper reference (redundancy_reference.py) and hand-checkable cases.</summary>
public class VicRegLossTests
{
    [Fact]
    public void Loss_AndItsThreeTerms_MatchThePaperReference()
    {
        using var z1 = Matrix("z1");
        using var z2 = Matrix("z2");
        using var terms = VicRegLoss.Compute(z1, z2);
        Assert.Equal(Scalar("vicreg_loss"), terms.Loss.item<float>(), 1e-5);
        Assert.Equal(Scalar("vicreg_invariance"), terms.Invariance.item<float>(), 1e-5);
        Assert.Equal(Scalar("vicreg_variance"), terms.Variance.item<float>(), 1e-5);
        Assert.Equal(Scalar("vicreg_covariance"), terms.Covariance.item<float>(), 1e-5);
        Assert.True(terms.Variance.item<float>() > 0.05, "the fixture should have dimensions below the variance hinge");
        using var v = VicRegLoss.Variance(z1);
        using var c = VicRegLoss.Covariance(z1);
        Assert.Equal(Scalar("vicreg_variance_z1"), v.item<float>(), 1e-5);
        Assert.Equal(Scalar("vicreg_covariance_z1"), c.item<float>(), 1e-5);
    }

    [Fact]
    public void Gradient_ReachesBothBranches_AsInThePaperReference()
    {
        using var z1 = Matrix("z1", requiresGrad: true);
        using var z2 = Matrix("z2", requiresGrad: true);
        using var terms = VicRegLoss.Compute(z1, z2);
        terms.Loss.backward();
        using var g1 = Matrix("vicreg_grad_z1");
        using var g2 = Matrix("vicreg_grad_z2");
        Assert.True(g1.abs().max().item<float>() > 1e-2 && g2.abs().max().item<float>() > 1e-2, "the reference gradients are too small to test anything");
        AssertClose(g1, z1.grad!, "gradient of z1");
        AssertClose(g2, z2.grad!, "gradient of z2");
    }

    [Fact]
    public void ACollapsedConstantEmbedding_PaysTheFullVarianceHinge_AndNothingElse()
    {
        using var z = full(6, 4, 3.5f);
        using var terms = VicRegLoss.Compute(z, z);
        // Every dimension has variance 0: relu(1 − √(0 + 1e-4)) = 0.99, in both branches; no covariance, no invariance.
        Assert.Equal(0.99f, terms.Variance.item<float>(), 5);
        Assert.Equal(0f, terms.Covariance.item<float>());
        Assert.Equal(0f, terms.Invariance.item<float>());
        Assert.Equal(25 * 0.99f, terms.Loss.item<float>(), 4);
    }

    [Fact]
    public void IdenticalSpreadDecorrelatedEmbeddings_CostNothing()
    {
        using var z = Decorrelated() * 2;                               // unbiased std 2·√(4/3) > γ, orthogonal columns
        using var terms = VicRegLoss.Compute(z, z);
        Assert.Equal(0f, terms.Loss.item<float>(), 6);
    }

    [Fact]
    public void Covariance_OfTwoEqualColumns_IsTheirSquaredVariance_WithTheUnbiasedEstimate()
    {
        using var z = tensor(new float[,] { { 1, 1 }, { -1, -1 }, { 1, 1 }, { -1, -1 } }) + 4; // centring removes the 4
        using var c = VicRegLoss.Covariance(z);
        // Cov = [[v, v], [v, v]], v = 4 / (4 − 1): off-diagonal squares 2v², divided by D = 2.
        Assert.Equal(16f / 9, c.item<float>(), 5);
        using var v = VicRegLoss.Variance(z * 0.25f);                   // std 0.25·√(4/3) ≈ 0.2887 per dimension
        Assert.Equal(1 - Math.Sqrt(1.0 / 12 + 1e-4), v.item<float>(), 5);
    }

    [Fact]
    public void Weights_ScaleEachTerm_AndInvarianceAloneIsTheMeanSquaredError()
    {
        using var z1 = Matrix("z1");
        using var z2 = Matrix("z2");
        using var invarianceOnly = VicRegLoss.Compute(z1, z2, invarianceWeight: 1, varianceWeight: 0, covarianceWeight: 0);
        Assert.Equal((z1 - z2).pow(2).mean().item<float>(), invarianceOnly.Loss.item<float>(), 6);
        using var mixed = VicRegLoss.Compute(z1, z2, invarianceWeight: 2, varianceWeight: 3, covarianceWeight: 5);
        var expected = 2 * mixed.Invariance.item<float>() + 3 * mixed.Variance.item<float>() + 5 * mixed.Covariance.item<float>();
        Assert.Equal(expected, mixed.Loss.item<float>(), 4);
    }

    [Fact]
    public void MismatchedOrSingleRowInputs_AreRejected_WithTheShapes()
    {
        using var a = zeros(4, 3);
        using var b = zeros(5, 3);
        var e = Assert.Throws<ArgumentException>(() => VicRegLoss.Compute(a, b));
        Assert.Contains("[4, 3] and [5, 3]", e.Message);
        using var one = zeros(1, 3);
        Assert.Throws<ArgumentException>(() => VicRegLoss.Variance(one));
    }
}
