using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class SoftmaxLbfgsTests
{
    public SoftmaxLbfgsTests() => TorchRuntime.Initialize();

    [Fact]
    public void Gradient_MatchesAutograd()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var x = randn([50, 6], generator: g);
        var y = tensor(Enumerable.Range(0, 50).Select(i => (long)(i % 3)).ToArray());
        var oneHot = nn.functional.one_hot(y, 3).to(ScalarType.Float32);
        var theta = randn([7, 3], generator: g);
        var (loss, grad) = SoftmaxLbfgs.LossAndGradient(x, oneHot, theta, l2: 0.3);

        var t = theta.clone().requires_grad_(true);
        var w = t.narrow(0, 0, 6);
        var reference = nn.functional.cross_entropy(x.matmul(w).add(t.narrow(0, 6, 1)), y).add(w.square().sum().mul(0.15));
        reference.backward();
        Assert.Equal(reference.item<float>(), loss, 1e-4);
        Assert.True(grad.sub(t.grad!).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Fit_ReachesAStationaryPoint()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(8);
        var x = randn([400, 10], generator: g);
        var y = randint(0, 4, [400], generator: g);
        var (theta, iterations) = SoftmaxLbfgs.Fit(x, y, 4, l2: 1e-2, maxIterations: 200, gradTolerance: 1e-5, historySize: 10);
        var (_, grad) = SoftmaxLbfgs.LossAndGradient(x, nn.functional.one_hot(y, 4).to(ScalarType.Float32), theta, 1e-2);
        Assert.True(grad.abs().max().item<float>() < 1e-4, $"max |gradient| {grad.abs().max().item<float>()} after {iterations} iterations");
    }
}
