using SelfSup.Distributed;
using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Distributed;

/// <summary>
/// SyncBN's own arithmetic, in one process: with one rank its forward hook must reproduce libtorch's BatchNorm —
/// output, input and weight gradients, running statistics, eval mode untouched — since N ranks rely on it to be
/// BatchNorm over the global batch. (The N-rank behaviour is tested under mpirun in <see cref="DataParallelTests"/>.)
/// </summary>
public sealed class SyncBatchNormTests
{
    static (Tensor Y, Tensor InputGrad, Tensor WeightGrad, Tensor Mean, Tensor Var) Run(bool synced, Tensor x0, bool twoD)
    {
        nn.Module<Tensor, Tensor> bn = twoD ? nn.BatchNorm2d(3) : nn.BatchNorm1d(3);
        using (no_grad())
        {
            ((TorchSharp.Modules.BatchNorm)bn).weight!.copy_(tensor(new[] { 0.5f, 1.5f, -1f }));
            ((TorchSharp.Modules.BatchNorm)bn).bias!.copy_(tensor(new[] { 0.1f, -0.2f, 0.3f }));
        }
        using var sync = synced ? SyncBatchNorm.Attach(bn, SingleProcess.Instance) : null;
        if (sync is not null) Assert.Equal(1, sync.Layers);
        var x = x0.clone().requires_grad_();
        bn.train();
        var y = bn.call(x);
        y.mul(arange(y.numel()).view(y.shape).sin()).sum().backward(); // a loss that weighs every output differently
        var b = (TorchSharp.Modules.BatchNorm)bn;
        return (y.detach(), x.grad!.clone(), b.weight!.grad!.clone(), b.running_mean!.clone(), b.running_var!.clone());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WithOneRankItIsBatchNorm(bool twoD)
    {
        using var g = new Generator(7);
        var x = (twoD ? randn(5, 3, 4, 4, generator: g) : randn(6, 3, generator: g)).mul(2).add(1);
        var plain = Run(synced: false, x, twoD);
        var synced = Run(synced: true, x, twoD);
        Assert.True(synced.Y.allclose(plain.Y, rtol: 1e-5, atol: 1e-5), "output");
        Assert.True(synced.InputGrad.allclose(plain.InputGrad, rtol: 1e-4, atol: 1e-5), "input gradient");
        Assert.True(synced.WeightGrad.allclose(plain.WeightGrad, rtol: 1e-4, atol: 1e-5), "weight gradient");
        Assert.True(synced.Mean.allclose(plain.Mean, rtol: 1e-6, atol: 1e-6), "running mean");
        Assert.True(synced.Var.allclose(plain.Var, rtol: 1e-5, atol: 1e-6), "running variance (unbiased)");
        Assert.False(synced.Mean.allclose(zeros(3)), "the running mean moved");
    }

    [Fact]
    public void InEvalModeNothingChanges()
    {
        var bn = nn.BatchNorm2d(2);
        using var sync = SyncBatchNorm.Attach(bn, SingleProcess.Instance);
        Assert.Equal(1, sync.Layers);
        bn.eval();
        using var x = randn(3, 2, 2, 2);
        using var y = bn.call(x);
        Assert.True(y.allclose(x.div(Math.Sqrt(1 + 1e-5)), rtol: 1e-6, atol: 1e-6)); // running mean 0, variance 1
    }
}
