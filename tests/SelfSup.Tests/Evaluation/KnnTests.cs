using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class KnnTests
{
    // Unit vectors at 0°, +60°, −60° and 180°: cosine similarities to the x axis are 1, 0.5, 0.5 and −1.
    static readonly float[,] TrainPoints = { { 3, 0 }, { 0.5f, 0.8660254f }, { 0.5f, -0.8660254f }, { -2, 0 } };
    static readonly long[] TrainLabels = [0, 1, 1, 2];

    static Tensor Train() => tensor(TrainPoints);

    public KnnTests() => TorchRuntime.Initialize();

    [Fact]
    public void ClassVotes_AreSumsOfExpSimilarityOverTemperature()
    {
        using var train = Train();
        using var test = tensor(new float[,] { { 2, 0 } }); // along the x axis, not unit length
        using var votes = Knn.ClassVotes(train, TrainLabels, test, numClasses: 3, k: 3, temperature: 0.1);
        var v = votes.data<float>().ToArray();
        // Neighbours: (1.0, class 0), (0.5, class 1) twice; the 180° point is the 4th and does not vote.
        Assert.Equal(Math.Exp(10), v[0], Math.Exp(10) * 1e-4);
        Assert.Equal(2 * Math.Exp(5), v[1], 2 * Math.Exp(5) * 1e-4);
        Assert.Equal(0.0, v[2]);
    }

    [Fact]
    public void WeightedVote_BeatsMajority_WhenOneNeighbourIsMuchCloser()
    {
        using var train = Train();
        using var test = tensor(new float[,] { { 1, 0 } });
        // T = 0.1: class 0 gets e^10 ≈ 22026 against class 1's 2·e^5 ≈ 297 — the single nearest neighbour wins.
        var sharp = Knn.Evaluate(train, TrainLabels, test, [0], numClasses: 3, k: 3, temperature: 0.1);
        Assert.Equal(100, sharp.Top1);
        // T = 100: weights e^0.01 vs 2·e^0.005 — nearly equal weights, so the majority (class 1) wins.
        var flat = Knn.Evaluate(train, TrainLabels, test, [0], numClasses: 3, k: 3, temperature: 100);
        Assert.Equal(0, flat.Top1);
        Assert.Equal(100, flat.Top5);
    }

    [Fact]
    public void WellSeparatedClusters_ScoreFullTop1()
    {
        using var g = new Generator(7);
        using var centres = randn([10, 32], generator: g).mul_(5); // [10, 32]
        var trainLabels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();
        var testLabels = Enumerable.Range(0, 300).Select(i => (long)((i * 7) % 10)).ToArray();
        using var train = centres.index_select(0, tensor(trainLabels)).add_(randn([1000, 32], generator: g)); // [1000, 32]
        using var test = centres.index_select(0, tensor(testLabels)).add_(randn([300, 32], generator: g)); // [300, 32]
        var result = Knn.Evaluate(train, trainLabels, test, testLabels, numClasses: 10);
        Assert.Equal(100, result.Top1);
        Assert.Equal(100, result.Top5);
    }

    [Fact]
    public void K_LargerThanTrainingSet_UsesEveryTrainingRow()
    {
        using var train = Train();
        using var test = tensor(new float[,] { { 1, 0 } });
        using var votes = Knn.ClassVotes(train, TrainLabels, test, numClasses: 3, k: 50, temperature: 1);
        Assert.Equal(Math.Exp(-1), votes[0, 2].item<float>(), 1e-5);
    }

    [Fact]
    public void TrainLabelOutOfRange_IsRejectedWithItsValue()
    {
        using var train = Train();
        using var test = tensor(new float[,] { { 1, 0 } });
        var e = Assert.Throws<ArgumentException>(() => Knn.Evaluate(train, [0, 1, 5, 2], test, [0], numClasses: 3));
        Assert.Contains("train label 5", e.Message);
    }
}
