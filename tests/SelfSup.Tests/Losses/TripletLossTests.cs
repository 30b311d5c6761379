using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public class TripletLossTests
{
    // The fixed batch of tests/SelfSup.Tests/Fixtures/triplet_reference.py: 8 rows, 4 dims, 3 labels.
    static readonly double[,] Rows =
    {
        { 1.0, 0.2, -0.3, 0.5 },
        { 0.9, 0.4, -0.1, 0.3 },
        { 0.2, 1.0, 0.1, -0.4 },
        { -0.5, 0.8, 0.6, 0.1 },
        { -0.7, 0.5, 0.9, -0.2 },
        { 0.6, 0.3, 0.2, 0.7 },
        { 0.1, -0.9, 0.4, 0.6 },
        { 0.3, -0.6, -0.2, 0.9 },
    };
    static readonly long[] Labels = [0, 0, 0, 1, 1, 1, 2, 2];

    static Tensor Batch(ScalarType dtype = ScalarType.Float32) => tensor(Rows).to_type(dtype);

    /// <summary>The fixed batch in float64 with flat element <paramref name="i"/> moved by <paramref name="h"/>.</summary>
    static Tensor Shifted(int i, double h)
    {
        var rows = (double[,])Rows.Clone();
        rows[i / rows.GetLength(1), i % rows.GetLength(1)] += h;
        return tensor(rows);
    }

    static double Mined(Tensor x, TripletLossOptions options)
    {
        using var labels = tensor(Labels);
        using var loss = TripletLoss.Compute(x, labels, options);
        return loss.to_type(ScalarType.Float64).item<double>();
    }

    static readonly TripletLossOptions Unit = new() { Margin = 0.2 };
    static readonly TripletLossOptions RawSquared = new() { Margin = 1.0, Normalize = false, Distance = TripletDistance.SquaredEuclidean };

    [Fact]
    public void HardNegative_GivesALargerLossThanASemiHardOne_AndAnEasyOneGivesNone()
    {
        // a = (1, 0), p = (0.8, 0.6): d(a, p) = √0.4 = 0.632456, α = 0.2.
        // easy n = (0, 1): d = √2, loss 0; semi-hard n = (0.7, √0.51): d = √0.6 = 0.774597, loss 0.057859;
        // hard n = (0.96, 0.28): d = √0.08 = 0.282843, loss 0.549613.
        using var a = tensor(new float[,] { { 1, 0 } });
        using var p = tensor(new float[,] { { 0.8f, 0.6f } });
        double Loss(float nx, float ny)
        {
            using var n = tensor(new[,] { { nx, ny } });
            using var loss = TripletLoss.Compute(a, p, n, 0.2, normalize: true);
            return loss.item<float>();
        }
        var easy = Loss(0, 1);
        var semiHard = Loss(0.7f, MathF.Sqrt(0.51f));
        var hard = Loss(0.96f, 0.28f);
        Assert.Equal(0.0, easy, 6);
        Assert.Equal(0.057859, semiHard, 5);
        Assert.Equal(0.549613, hard, 5);
        Assert.True(hard > semiHard && semiHard > easy);
    }

    [Fact]
    public void ExplicitTriplets_MatchTheReference_NormalisedAndRaw()
    {
        // Values printed by tests/SelfSup.Tests/Fixtures/triplet_reference.py ("explicit, …").
        using var x = Batch();
        using var a = x.index(tensor(new long[] { 0, 3, 6 }));
        using var p = x.index(tensor(new long[] { 2, 5, 7 }));
        using var n = x.index(tensor(new long[] { 5, 2, 0 }));
        using var unit = TripletLoss.Compute(a, p, n, 0.2, normalize: true);
        using var raw = TripletLoss.Compute(a, p, n, 0.5, normalize: false);
        Assert.Equal(0.50952637, unit.item<float>(), 5);
        Assert.Equal(0.73800086, raw.item<float>(), 5);
    }

    [Fact]
    public void BatchAll_MatchesTheReference_OverActiveAndOverAllValidTriplets()
    {
        // tests/SelfSup.Tests/Fixtures/triplet_reference.py: 25 of the 72 valid triplets are active.
        using var x = Batch();
        Assert.Equal(0.50635838, Mined(x, Unit with { Mining = TripletMining.BatchAll }), 5);
        Assert.Equal(0.17581888, Mined(x, Unit with { Mining = TripletMining.BatchAll, AverageOverActive = false }), 5);
        Assert.Equal(1.53483871, Mined(x, RawSquared with { Mining = TripletMining.BatchAll }), 5);
    }

    [Fact]
    public void BatchHard_MatchesTheReference()
    {
        // tests/SelfSup.Tests/Fixtures/triplet_reference.py.
        using var x = Batch();
        Assert.Equal(0.57916451, Mined(x, Unit with { Mining = TripletMining.BatchHard }), 5);
        Assert.Equal(1.93000000, Mined(x, RawSquared with { Mining = TripletMining.BatchHard }), 5);
    }

    [Fact]
    public void SemiHard_MatchesTheReference_IncludingPairsThatFallBackToTheFarthestNegative()
    {
        // tests/SelfSup.Tests/Fixtures/triplet_reference.py: 2 of the 14 (anchor, positive) pairs have no negative
        // farther than their positive and use the farthest negative.
        using var x = Batch();
        Assert.Equal(0.09342618, Mined(x, Unit with { Mining = TripletMining.SemiHard }), 5);
        Assert.Equal(0.59785714, Mined(x, RawSquared with { Mining = TripletMining.SemiHard }), 5);
    }

    [Fact]
    public void SoftMargin_IsSoftplusOfTheGap_ByHand()
    {
        // 1-D points 0, 1 | 3, 5 (labels 0, 0, 1, 1), raw Euclidean. Batch-hard gaps d(a, p) − d(a, n):
        // anchor 0: 1 − 3; anchor 1: 1 − 2; anchor 2: 2 − 2; anchor 3: 2 − 4.
        using var x = tensor(new float[] { 0, 1, 3, 5 }).view(4, 1);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        var options = new TripletLossOptions { Normalize = false, SoftMargin = true, Margin = 0.7 };
        using var loss = TripletLoss.Compute(x, labels, options);
        static double Softplus(double v) => Math.Log(1 + Math.Exp(v));
        var expected = (Softplus(-2) + Softplus(-1) + Softplus(0) + Softplus(-2)) / 4; // the margin plays no part
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void CollapsedBatch_ScoresTheMarginWithTheHinge_AndLn2WithTheSoftMargin()
    {
        using var x = ones(4, 3);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var hinge = TripletLoss.Compute(x, labels, new TripletLossOptions { Margin = 0.2 });
        using var soft = TripletLoss.Compute(x, labels, new TripletLossOptions { SoftMargin = true });
        Assert.Equal(0.2f, hinge.item<float>(), 5);
        Assert.Equal((float)Math.Log(2), soft.item<float>(), 5);
    }

    [Fact]
    public void BatchHard_IsTheDefaultMining()
    {
        using var x = Batch();
        Assert.Equal(Mined(x, Unit with { Mining = TripletMining.BatchHard }), Mined(x, new TripletLossOptions()), 6);
    }

    [Theory]
    [InlineData(TripletMining.BatchAll)]
    [InlineData(TripletMining.BatchHard)]
    [InlineData(TripletMining.SemiHard)]
    public void Gradient_MatchesCentralDifferences(TripletMining mining)
    {
        var options = Unit with { Mining = mining };
        using var x = Batch(ScalarType.Float64).requires_grad_();
        using var labels = tensor(Labels);
        using var loss = TripletLoss.Compute(x, labels, options);
        loss.backward();
        var grad = x.grad!.data<double>().ToArray();
        Assert.Contains(grad, g => Math.Abs(g) > 1e-3);
        const double h = 1e-6;
        using var noGrad = no_grad();
        for (int i = 0; i < grad.Length; i++)
        {
            using var plus = Shifted(i, h);
            using var minus = Shifted(i, -h);
            var numeric = (Mined(plus, options) - Mined(minus, options)) / (2 * h);
            Assert.True(Math.Abs(numeric - grad[i]) < 1e-5, $"{mining}: element {i}: autograd {grad[i]}, central difference {numeric}");
        }
    }

    [Theory]
    [InlineData(TripletMining.BatchAll)]
    [InlineData(TripletMining.BatchHard)]
    [InlineData(TripletMining.SemiHard)]
    public void DuplicateRows_GiveFiniteGradients(TripletMining mining)
    {
        // Rows 0 and 1 equal (distance 0, where √ has an infinite slope), row 2 of the same label, row 3 another.
        using var x = tensor(new float[,] { { 1, 0, 0 }, { 1, 0, 0 }, { 0.6f, 0.8f, 0 }, { 0.8f, 0.6f, 0 } }).requires_grad_();
        using var labels = tensor(new long[] { 0, 0, 0, 1 });
        using var loss = TripletLoss.Compute(x, labels, new TripletLossOptions { Mining = mining, Normalize = false });
        loss.backward();
        Assert.True(float.IsFinite(loss.item<float>()) && loss.item<float>() > 0, $"{mining}: loss {loss.item<float>()}");
        Assert.True(x.grad!.isfinite().all().item<bool>(), $"{mining}: non-finite gradient");
        Assert.True(x.grad!.abs().sum().item<float>() > 0, $"{mining}: no gradient");
    }

    [Fact]
    public void PairwiseDistances_AreEuclidean_WithAZeroDiagonal()
    {
        using var x = tensor(new float[,] { { 0, 0 }, { 3, 4 }, { 3, 0 } });
        using var d = TripletLoss.PairwiseDistances(x, TripletDistance.Euclidean);
        using var expected = tensor(new float[,] { { 0, 5, 3 }, { 5, 0, 4 }, { 3, 4, 0 } });
        Assert.True(d.allclose(expected, atol: 1e-5), d.ToString(TorchSharp.TensorStringStyle.Julia));
        using var squared = TripletLoss.PairwiseDistances(x, TripletDistance.SquaredEuclidean);
        Assert.Equal(25f, squared[0, 1].item<float>(), 4);
    }

    [Fact]
    public void RejectsBatchesWithoutAValidTriplet_AndBadArguments()
    {
        using var x = Batch();
        using var distinct = arange(8L);
        using var same = zeros(8, dtype: ScalarType.Int64);
        Assert.Contains("no valid triplet", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, distinct, Unit)).Message);
        Assert.Contains("no valid triplet", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, same, Unit)).Message);
        using var floats = zeros(8);
        Assert.Contains("integers", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, floats, Unit)).Message);
        using var short_ = zeros(7, dtype: ScalarType.Int64);
        Assert.Contains("labels must be [8]", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, short_, Unit)).Message);
        using var labels = tensor(Labels);
        Assert.Contains("margin", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, labels, Unit with { Margin = -0.1 })).Message);
        using var narrow = x.narrow(1, 0, 3);
        Assert.Contains("[B, D]", Assert.Throws<ArgumentException>(() => TripletLoss.Compute(x, narrow, x, 0.2, true)).Message);
    }
}
