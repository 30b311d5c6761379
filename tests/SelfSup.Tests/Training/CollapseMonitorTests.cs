using SelfSup.Encoders;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Training;

[Collection(GlobalRngCollection.Name)]
public sealed class CollapseMonitorTests
{
    /// <summary>Maps every image to the same embedding: complete collapse.</summary>
    sealed class ConstantEncoder(int dim) : Encoder(nameof(ConstantEncoder))
    {
        public override int EmbeddingDim => dim;
        public override Tensor ForwardFeatures(Tensor x) => ones(x.shape[0], dim, 1, 1, device: x.device);
        public override Tensor Pool(Tensor features) => features.mean([2L, 3L]);
    }

    [Fact]
    public void ConstantEncoder_IsFlaggedAsCollapsed()
    {
        using var scope = NewDisposeScope();
        var monitor = new CollapseMonitor(16);
        var views = randn(8, 1, 8, 8);
        var health = monitor.Measure(new ConstantEncoder(16), views, views.flip(0));
        Assert.True(health.Collapsed);
        Assert.Equal(0.0, health.Std, 6);
        Assert.InRange(health.RankMe, 1.0, 1.01);
        Assert.Equal(0.0, health.Alignment, 6);
        Assert.Equal(0.0, health.Uniformity, 6);
    }

    [Fact]
    public void GaussianEmbeddings_AreNotFlagged()
    {
        using var scope = NewDisposeScope();
        var monitor = new CollapseMonitor(16);
        var a = randn(256, 16, generator: new Generator(5));
        var health = monitor.Measure(a, a.add(randn(256, 16, generator: new Generator(6)).mul(0.1)));
        Assert.False(health.Collapsed);
        Assert.True(health.Std > 0.8 / Math.Sqrt(16), $"std {health.Std}");
        Assert.True(health.RankMe > 14, $"RankMe {health.RankMe}");
        Assert.True(health.Alignment < 0.1, $"alignment {health.Alignment}");
        Assert.True(health.Uniformity < -2, $"uniformity {health.Uniformity}");
    }

    [Fact]
    public void EmbeddingsOnTwoDirections_AreFlaggedAsDimensionalCollapse_NotAsStdCollapse()
    {
        using var scope = NewDisposeScope();
        var monitor = new CollapseMonitor(64);
        var basis = randn(2, 64, generator: new Generator(7));          // [2, D]: only two directions
        var a = randn(128, 2, generator: new Generator(8)).matmul(basis); // [B, D], rank 2
        var b = a.add(randn(128, 2, generator: new Generator(9)).matmul(basis).mul(0.1));
        var health = monitor.Measure(a, b);
        Assert.InRange(health.RankMe, 1.0, 2.01);
        Assert.True(health.DimensionalCollapse);
        Assert.False(health.Collapsed, $"std {health.Std} should stay above {monitor.StdThreshold}");
        Assert.False(new CollapseMonitor(64, rankFraction: 0).Measure(a, b).DimensionalCollapse);
    }

    [Fact]
    public void FullRankEmbeddings_AreNotFlaggedAsDimensionalCollapse()
    {
        using var scope = NewDisposeScope();
        var a = randn(128, 64, generator: new Generator(10));
        var health = new CollapseMonitor(64).Measure(a, a.add(randn(128, 64, generator: new Generator(11)).mul(0.1)));
        Assert.False(health.DimensionalCollapse, $"RankMe {health.RankMe}");
        Assert.Throws<ArgumentException>(() => new CollapseMonitor(64, rankFraction: 1.5));
    }

    [Fact]
    public void DefaultThreshold_IsATenthOfOneOverRootD_AndAnExplicitOneWins()
    {
        Assert.Equal(0.1 / 8, new CollapseMonitor(64).StdThreshold, 12);
        Assert.Equal(0.5, new CollapseMonitor(64, 0.5).StdThreshold);
        Assert.Throws<ArgumentException>(() => new CollapseMonitor(64, -1));
    }

    [Fact]
    public void Measure_LeavesTrainModeBatchNormStatisticsAndGradientsUntouched()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var encoder = new TinyEncoder(channels: 1);
        encoder.train();
        var before = encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var (a, b) = (randn(16, 1, 8, 8), randn(16, 1, 8, 8));
        var rngBefore = random.get_rng_state();
        var health = new CollapseMonitor(encoder.EmbeddingDim).Measure(encoder, a, b);
        Assert.True(double.IsFinite(health.RankMe));
        Assert.True(encoder.training);
        foreach (var (k, v) in encoder.state_dict()) Assert.True(v.equal(before[k]).all().item<bool>(), $"{k} changed");
        Assert.All(encoder.parameters(), p => Assert.Null(p.grad));
        Assert.True(random.get_rng_state().equal(rngBefore).all().item<bool>());
    }

    [Fact]
    public void Measure_NormalisesWithBatchStatistics_NotStaleRunningOnes()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var encoder = new TinyEncoder(channels: 1);
        encoder.train();
        // A running mean far above the data's: eval mode would push every activation below 0, and the ReLU to 0.
        foreach (var (name, buffer) in encoder.named_buffers())
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.fill_(1e4f);
        var health = new CollapseMonitor(encoder.EmbeddingDim).Measure(encoder, randn(32, 1, 8, 8), randn(32, 1, 8, 8));
        Assert.False(health.Collapsed, $"std {health.Std}");
        Assert.True(health.RankMe > 2, $"RankMe {health.RankMe}");
    }

    [Fact]
    public void Measure_OfNonFiniteEmbeddings_SaysSo_InsteadOfFailingInTheSvd()
    {
        using var a = randn(32, 16, generator: new Generator(3));
        using var b = a.clone();
        b[5, 2] = tensor(float.PositiveInfinity);

        var health = new CollapseMonitor(16).Measure(a, b);

        Assert.True(health.NonFinite);
        Assert.True(double.IsNaN(health.RankMe) && double.IsNaN(health.Std));
        Assert.False(health.Collapsed);
        using var shuffled = a.flip(0);
        Assert.False(new CollapseMonitor(16).Measure(a, shuffled).NonFinite);
    }
}
