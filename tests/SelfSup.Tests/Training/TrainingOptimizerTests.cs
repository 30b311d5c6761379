using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

public class TrainingOptimizerTests
{
    [Fact]
    public void NormsAndBiases_AreExcludedFromWeightDecay()
    {
        using var model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2));
        using var opt = new TrainingOptimizer(model.parameters(), OptimizerKind.Sgd, 0.1, 0.5);
        Assert.Equal((2, 4), opt.GroupSizes); // two weight matrices; two biases + BN weight and bias
    }

    [Fact]
    public void Sgd_DecaysWeights_ButNotBiases()
    {
        using var lin = nn.Linear(2, 1);
        using (no_grad())
        {
            lin.weight!.copy_(tensor(new float[,] { { 1, 2 } }));
            lin.bias!.copy_(tensor(new float[] { 3 }));
        }
        using var opt = new TrainingOptimizer(lin.parameters(), OptimizerKind.Sgd, learningRate: 0.1, weightDecay: 0.5, momentum: 0);
        opt.ZeroGrad();
        using var x = zeros(1, 2);
        lin.forward(x).sum().backward(); // dL/dw = 0, dL/db = 1
        opt.Step();
        Assert.Equal(new[] { 0.95f, 1.9f }, lin.weight!.data<float>().ToArray()); // w − lr·λw
        Assert.Equal(2.9f, lin.bias!.item<float>(), 6);                          // b − lr·1, no decay
    }

    [Fact]
    public void Lars_ScalesTheUpdateByTheTrustRatio()
    {
        using var lin = nn.Linear(2, 1, hasBias: false);
        using (no_grad()) lin.weight!.copy_(tensor(new float[,] { { 3, 4 } })); // ‖w‖ = 5
        using var opt = new TrainingOptimizer(lin.parameters(), OptimizerKind.Lars, learningRate: 1.0, weightDecay: 0, momentum: 0, larsEta: 0.01);
        opt.ZeroGrad();
        using var x = tensor(new float[,] { { 6, 8 } });
        lin.forward(x).sum().backward(); // g = [6, 8], ‖g‖ = 10, trust = 0.01·5/10 = 0.005
        opt.Step();
        var w = lin.weight!.data<float>().ToArray();
        Assert.Equal(3 - 0.03f, w[0], 5);
        Assert.Equal(4 - 0.04f, w[1], 5);
    }

    [Theory]
    [InlineData(0.005)] // η‖w‖/‖g‖ = 0.02·5/10 = 0.01 > lr: the step is lr·g
    [InlineData(0.1)]   // 0.01 < lr: the step is 0.01·g, not lr·0.01·g
    public void Lars_WithClipping_StepsAtTheSmallerOfTrustRateAndLr(double lr)
    {
        using var lin = nn.Linear(2, 1, hasBias: false);
        using (no_grad()) lin.weight!.copy_(tensor(new float[,] { { 3, 4 } })); // ‖w‖ = 5
        using var opt = new TrainingOptimizer(lin.parameters(), OptimizerKind.Lars, learningRate: lr, weightDecay: 0, momentum: 0, larsEta: 0.02, larsClip: true);
        opt.ZeroGrad();
        using var x = tensor(new float[,] { { 6, 8 } });
        lin.forward(x).sum().backward(); // g = [6, 8], ‖g‖ = 10
        opt.Step();
        var rate = Math.Min(0.02 * 5 / 10, lr);
        var w = lin.weight!.data<float>().ToArray();
        Assert.Equal((float)(3 - rate * 6), w[0], 5);
        Assert.Equal((float)(4 - rate * 8), w[1], 5);
    }

    [Fact]
    public void For_TakesLarsSettingsFromTheRunConfig()
    {
        using var lin = nn.Linear(2, 1, hasBias: false);
        using (no_grad()) lin.weight!.copy_(tensor(new float[,] { { 3, 4 } }));
        var config = new RunConfig { Optimizer = OptimizerKind.Lars, LearningRate = 1.0, WeightDecay = 0, Momentum = 0, LarsEta = 0.01 };
        using var opt = TrainingOptimizer.For(config, lin.parameters());
        opt.ZeroGrad();
        using var x = tensor(new float[,] { { 6, 8 } });
        lin.forward(x).sum().backward();
        opt.Step();
        Assert.Equal(3 - 0.03f, lin.weight!.data<float>()[0], 5); // trust 0.01·5/10
    }

    [Fact]
    public void SetLearningRate_ChangesEveryGroup()
    {
        using var lin = nn.Linear(2, 1);
        using var opt = new TrainingOptimizer(lin.parameters(), OptimizerKind.AdamW, 1e-3, 0.05);
        opt.SetLearningRate(0.0);
        using (no_grad()) { }
        var before = lin.weight!.data<float>().ToArray();
        opt.ZeroGrad();
        using var x = ones(1, 2);
        lin.forward(x).sum().backward();
        opt.Step();
        Assert.Equal(before, lin.weight!.data<float>().ToArray());
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Lars)]
    [InlineData(OptimizerKind.AdamW)]
    public void FixedRateParameters_KeepTheirRate_WhileSetLearningRateMovesTheOthers(OptimizerKind kind)
    {
        using var scheduled = nn.Linear(2, 2);
        using var fixedRate = nn.Linear(2, 2);
        using var opt = new TrainingOptimizer(scheduled.parameters().Concat(fixedRate.parameters()), kind, learningRate: 0.1, weightDecay: 0,
            momentum: 0, fixedLearningRate: fixedRate.parameters());
        Assert.Equal(2, opt.FixedRateCount);
        opt.SetLearningRate(0);
        var scheduledBefore = scheduled.weight!.data<float>().ToArray();
        var fixedBefore = fixedRate.weight!.data<float>().ToArray();
        opt.ZeroGrad();
        using var x = ones(1, 2);
        (scheduled.forward(x).sum() + fixedRate.forward(x).sum()).backward(); // every weight's gradient is 1
        opt.Step();
        Assert.Equal(scheduledBefore, scheduled.weight!.data<float>().ToArray());
        var fixedAfter = fixedRate.weight!.data<float>().ToArray();
        if (kind == OptimizerKind.Sgd)
            Assert.Equal(fixedBefore.Select(w => w - 0.1f), fixedAfter); // w − lr·g at the fixed rate 0.1
        else
            Assert.True(fixedBefore.Zip(fixedAfter).All(p => p.First != p.Second), $"{kind}: the fixed-rate weights did not move");
    }

    [Fact]
    public void SetWeightDecay_ReachesTheFixedRateWeightsToo()
    {
        using var scheduled = nn.Linear(2, 1, hasBias: false);
        using var fixedRate = nn.Linear(2, 1, hasBias: false);
        using (no_grad())
        {
            scheduled.weight!.fill_(1f);
            fixedRate.weight!.fill_(1f);
        }
        using var opt = new TrainingOptimizer(scheduled.parameters().Concat(fixedRate.parameters()), OptimizerKind.Sgd, learningRate: 0.1, weightDecay: 0,
            momentum: 0, fixedLearningRate: fixedRate.parameters());
        opt.SetWeightDecay(0.5);
        opt.ZeroGrad();
        using var x = zeros(1, 2);
        (scheduled.forward(x).sum() + fixedRate.forward(x).sum()).backward(); // zero gradients: only decay moves the weights
        opt.Step();
        Assert.Equal(new[] { 0.95f, 0.95f }, scheduled.weight!.data<float>().ToArray()); // w − lr·λw
        Assert.Equal(new[] { 0.95f, 0.95f }, fixedRate.weight!.data<float>().ToArray());
    }
}
