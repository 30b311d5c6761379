using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class LinearProbeTests
{
    public LinearProbeTests() => TorchRuntime.Initialize();

    /// <summary>Labels argmax(x·W*) of a random linear map: linearly separable by construction.</summary>
    static (Tensor X, long[] Y) Separable(Tensor w, int n, Generator g)
    {
        var x = randn([n, w.shape[0]], generator: g).mul_(3).add_(1); // [n, D], not standardised on purpose
        using var scores = x.matmul(w); // [n, C]
        using var y = scores.argmax(1);
        return (x, y.data<long>().ToArray());
    }

    [Theory]
    [InlineData(ProbeOptimizer.Lbfgs)]
    [InlineData(ProbeOptimizer.AdamW)]
    public void LinearlySeparableData_IsClassifiedAlmostPerfectly(ProbeOptimizer optimizer)
    {
        using var g = new Generator(11);
        using var w = randn([16, 5], generator: g);
        var (train, trainY) = Separable(w, 3000, g);
        var (test, testY) = Separable(w, 1000, g);
        using (train)
        using (test)
        {
            var options = new LinearProbeOptions { Optimizer = optimizer, Epochs = 50, BatchSize = 256, LearningRate = 0.05, WeightDecay = 0 };
            var result = LinearProbe.Evaluate(train, trainY, test, testY, 5, options);
            Assert.True(result.TrainTop1 > 98, $"train top-1 {result.TrainTop1}");
            Assert.True(result.Top1 > 96, $"test top-1 {result.Top1}");
        }
    }

    [Fact]
    public void RandomLabels_GiveChanceAccuracyOnTest()
    {
        using var g = new Generator(5);
        using var train = randn([2000, 32], generator: g);
        using var test = randn([4000, 32], generator: g);
        var rng = new Random(5);
        var trainY = Enumerable.Range(0, 2000).Select(_ => (long)rng.Next(4)).ToArray();
        var testY = Enumerable.Range(0, 4000).Select(_ => (long)rng.Next(4)).ToArray();
        var result = LinearProbe.Evaluate(train, trainY, test, testY, 4, new LinearProbeOptions());
        Assert.InRange(result.Top1, 22, 28); // chance is 25 %; 4000 rows put 2 σ at ±1.4 %
        Assert.True(result.TrainTop1 > 28, $"the probe should fit some noise on train, got {result.TrainTop1}");
    }

    [Fact]
    public void AdamW_IsDeterministicForAFixedSeed()
    {
        using var g = new Generator(2);
        using var x = randn([600, 8], generator: g);
        var rng = new Random(2);
        var y = Enumerable.Range(0, 600).Select(_ => (long)rng.Next(3)).ToArray();
        var options = new LinearProbeOptions { Optimizer = ProbeOptimizer.AdamW, Epochs = 3, BatchSize = 64, Seed = 9 };
        var a = LinearProbe.Evaluate(x, y, x, y, 3, options);
        var b = LinearProbe.Evaluate(x, y, x, y, 3, options);
        Assert.Equal(a, b);
    }

    [Fact]
    public void TestFeatures_AreStandardisedWithTrainStatistics()
    {
        // One feature; class = sign. A test set shifted by +100 would be classified by its own mean if it were
        // standardised on itself (half right); with the train statistics every shifted row lands on class 1.
        var trainX = new float[200];
        var trainY = new long[200];
        for (var i = 0; i < 200; i++) { trainX[i] = i < 100 ? -1 - i * 0.01f : 1 + (i - 100) * 0.01f; trainY[i] = i < 100 ? 0 : 1; }
        using var train = tensor(trainX).view(200, 1);
        using var test = tensor(trainX).add(100).view(200, 1);
        var result = LinearProbe.Evaluate(train, trainY, test, trainY, 2, new LinearProbeOptions());
        Assert.Equal(100, result.TrainTop1);
        Assert.Equal(50, result.Top1);
    }

    [Fact]
    public void Fit_FoldsTheStandardisation_IntoAClassifierOnRawFeatures()
    {
        // Shifted, scaled features: the folded classifier on raw features must give exactly the probe's logits on
        // standardised ones, hence the same test accuracy as Evaluate.
        using var g = new Generator(5);
        using var centres = randn([3, 6], generator: g).mul(3);
        var y = Enumerable.Range(0, 150).Select(i => (long)(i % 3)).ToArray();
        using var yT = tensor(y);
        using var x = centres.index_select(0, yT).add(randn([150, 6], generator: g).mul(2)).mul(tensor(new float[] { 1, 10, 0.1f, 5, 1, 2 })).add(40);
        using var test = centres.index_select(0, yT).add(randn([150, 6], generator: g).mul(2)).mul(tensor(new float[] { 1, 10, 0.1f, 5, 1, 2 })).add(40);
        var options = new LinearProbeOptions();
        using var classifier = LinearProbe.Fit(x, y, 3, options);
        Assert.Equal([6L, 3L], classifier.Weight.shape);
        Assert.Equal([3L], classifier.Bias.shape);
        using var predicted = test.matmul(classifier.Weight).add(classifier.Bias).argmax(1);
        var top1 = 100.0 * predicted.eq(yT).sum().item<long>() / 150;
        Assert.Equal(LinearProbe.Evaluate(x, y, test, y, 3, options).Top1, top1, 6);
        Assert.True(top1 > 60, $"top-1 {top1}");
    }
}
