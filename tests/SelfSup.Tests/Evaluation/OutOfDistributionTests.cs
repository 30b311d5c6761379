using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class OutOfDistributionTests
{
    public OutOfDistributionTests() => TorchRuntime.Initialize();

    [Fact]
    public void Auroc_IsOne_ForPerfectSeparation_AndZero_WhenReversed()
    {
        Assert.Equal(1.0, OutOfDistribution.Auroc([0.1, 0.2], [0.3, 0.4]));
        Assert.Equal(0.0, OutOfDistribution.Auroc([0.3, 0.4], [0.1, 0.2]));
    }

    [Fact]
    public void Auroc_CountsTiesAsOneHalf()
    {
        Assert.Equal(0.5, OutOfDistribution.Auroc([0.5], [0.5]));
        // Pairs (out, in): (0.5, 0.1) 1, (0.5, 0.5) ½, (0.9, 0.1) 1, (0.9, 0.5) 1 → 3.5 / 4.
        Assert.Equal(0.875, OutOfDistribution.Auroc([0.1, 0.5], [0.5, 0.9]));
    }

    [Fact]
    public void Auroc_RejectsAnEmptySide()
    {
        Assert.Throws<ArgumentException>(() => OutOfDistribution.Auroc([], [0.2]));
    }

    [Fact]
    public void KnnScores_AreOneMinusTheKthLargestCosineSimilarity()
    {
        using var bank = tensor(new float[,] { { 2, 0 }, { 0, 3 } });
        using var x = tensor(new float[,] { { 1, 0 }, { 1, 1 } });
        using var first = OutOfDistribution.KnnScores(bank, x, k: 1);
        using var second = OutOfDistribution.KnnScores(bank, x, k: 2);
        var s1 = first.data<float>().ToArray();
        var s2 = second.data<float>().ToArray();
        Assert.Equal(0.0, s1[0], 6);
        Assert.Equal(1 - Math.Sqrt(0.5), s1[1], 6);
        Assert.Equal(1.0, s2[0], 6); // the second neighbour is orthogonal
        Assert.Equal(1 - Math.Sqrt(0.5), s2[1], 6);
    }

    [Fact]
    public void Evaluate_SeparatesFeaturesThatPointElsewhere()
    {
        using var bank = tensor(new float[,] { { 1, 0 }, { 1, 0.1f } });
        using var inside = tensor(new float[,] { { 1, 0.05f }, { 2, 0 } });
        using var outside = tensor(new float[,] { { 0, 1 }, { -1, 0 } });
        var s = OutOfDistribution.Evaluate(bank, inside, outside);
        Assert.Equal(1.0, s.Auroc);
        Assert.True(s.MeanScoreOut > s.MeanScoreIn);
    }
}
