using SelfSup.Augment;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class ByolTests
{
    static Byol Make(ByolOptions? options = null, int seed = 0)
    {
        manual_seed(seed);
        return new Byol(new TinyEncoder(channels: 3), () => new TinyEncoder(channels: 3),
            options ?? new ByolOptions { ProjectionHiddenDim = 16, ProjectionDim = 8 });
    }

    static (Tensor, Tensor) Views(int seed, int batch = 6)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, 3, 8, 8], generator: g), randn([batch, 3, 8, 8], generator: g));
    }

    static IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> Target(Byol m) =>
        m.named_parameters().Where(p => p.name.StartsWith("target_", StringComparison.Ordinal));

    static IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> Online(Byol m) =>
        m.named_parameters().Where(p => !p.name.StartsWith("target_", StringComparison.Ordinal));

    [Fact]
    public void Gradients_ReachTheOnlineNetwork_AndNeverTheTarget()
    {
        using var method = Make();
        method.train();
        var (a, b) = Views(1);
        var result = method.Step(a, b);
        result.Loss.backward();
        Assert.NotEmpty(Target(method));
        foreach (var (name, p) in Target(method))
        {
            Assert.False(p.requires_grad, $"target parameter {name} requires grad");
            Assert.Null(p.grad);
        }
        foreach (var (name, p) in Online(method))
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void Loss_PairsEachViewsPrediction_WithTheOtherViewsTargetProjection()
    {
        using var method = Make();
        method.eval(); // running BN statistics: the same normalisation in every call below
        var (a, noise) = Views(2);
        var b = noise.abs() * 4 + 2; // far from a, so pairing a prediction with the wrong view's target shows
        using var loss = method.Step(a, b).Loss;
        using var noGrad = no_grad();
        // At construction the target is a copy of the online encoder + projector.
        var z1 = method.Projector.forward(method.Encoder.forward(a));
        var z2 = method.Projector.forward(method.Encoder.forward(b));
        var q1 = method.Predictor.forward(z1);
        var q2 = method.Predictor.forward(z2);
        using var expected = NegativeCosineLoss.Byol(q1, q2, z1, z2);
        using var swapped = NegativeCosineLoss.Byol(q1, q2, z2, z1);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 5);
        var gap = Math.Abs(swapped.item<float>() - loss.item<float>());
        Assert.True(gap > 1e-3, $"pairing a view's prediction with its own target gives the same loss (gap {gap})");
    }

    [Fact]
    public void EmaUpdate_OneStep_IsHandComputed_AndLeavesTheTargetsOwnBatchNormStatistics()
    {
        using var method = Make();
        using (no_grad())
        {
            foreach (var (_, p) in Online(method)) p.fill_(3f);
            foreach (var (_, p) in Target(method)) p.fill_(1f);
            foreach (var (name, buffer) in method.named_buffers())
                if (name.StartsWith("target_", StringComparison.Ordinal) && name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.fill_(7f);
        }
        method.AfterOptimizerStep(StepContext.Single(step: 0, totalSteps: 10)); // τ = 0.996 at the first step
        foreach (var (name, p) in Target(method))
            Assert.True((p - 1.008f).abs().max().item<float>() < 1e-6, $"{name}: expected 0.996·1 + 0.004·3 = 1.008, got {p.max().item<float>()}");
        foreach (var (name, buffer) in method.named_buffers().Where(b => b.name.StartsWith("target_", StringComparison.Ordinal) && b.name.EndsWith("running_mean", StringComparison.Ordinal)))
            Assert.True((buffer - 7f).abs().max().item<float>() == 0, $"{name} was overwritten");
        foreach (var (name, p) in Online(method))
            Assert.True((p - 3f).abs().max().item<float>() == 0, $"{name}: the update touched the online network");
    }

    [Fact]
    public void Momentum_RisesOnACosine_From0996AtTheFirstStep_To1AtTheLast()
    {
        using var method = Make();
        Assert.Equal(0.996, method.Momentum(0, 101), 12);
        Assert.Equal(0.998, method.Momentum(50, 101), 12);    // halfway: 1 − 0.004·(1 + cos(π/2))/2
        Assert.Equal(1.0, method.Momentum(100, 101), 12);
        Assert.Equal(1 - 0.004 * (1 + Math.Cos(Math.PI * 0.25)) / 2, method.Momentum(25, 101), 12);
        var taus = Enumerable.Range(0, 101).Select(t => method.Momentum(t, 101)).ToArray();
        Assert.True(taus.Zip(taus.Skip(1)).All(p => p.Second >= p.First), "τ must never fall");
    }

    [Fact]
    public void Heads_AreThePapersShape_ScaledToTheEncoder()
    {
        using var method = new Byol(new TinyEncoder(channels: 3, width: 12), () => new TinyEncoder(channels: 3, width: 12), new ByolOptions());
        var shapes = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 24, 12 }, shapes["projector.net.linear0.weight"]);   // hidden: twice the encoder's width
        Assert.Equal(new long[] { 256, 24 }, shapes["projector.net.linear1.weight"]);  // 256 outputs
        Assert.Equal(new long[] { 24, 256 }, shapes["predictor.net.linear0.weight"]);  // the predictor has the projector's shape
        Assert.Equal(new long[] { 256, 24 }, shapes["predictor.net.linear1.weight"]);
        Assert.Equal(shapes["projector.net.linear1.weight"], shapes["target_projector.module.net.linear1.weight"]);
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("target_predictor", StringComparison.Ordinal)); // no target predictor
    }

    [Fact]
    public void Views_AreAsymmetric_BlurOnTheFirst_SolarizeOnTheSecond()
    {
        var info = MethodRegistry.Get("byol");
        using var encoder = new TinyEncoder(channels: 3);
        var ctx = new MethodContext(encoder, () => new TinyEncoder(channels: 3), 32, 3, new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), new Dictionary<string, string>());
        var views = Assert.IsType<TwoViews>(info.CreateViews(ctx));
        Assert.Equal(1.0, views.First.Transforms.OfType<GaussianBlur>().Single().P);
        Assert.Empty(views.First.Transforms.OfType<Solarize>());
        Assert.Equal(0.1, views.Second.Transforms.OfType<GaussianBlur>().Single().P);
        Assert.Equal(0.2, views.Second.Transforms.OfType<Solarize>().Single().P);
        var jitter = views.First.Transforms.OfType<ColorJitter>().Single();
        Assert.Equal((0.4, 0.4, 0.2, 0.1, 0.8), (jitter.Brightness, jitter.Contrast, jitter.Saturation, jitter.Hue, jitter.P));
    }

    [Fact]
    public void Recipe_IsLarsAt02TimesBOver256_WithTheOfficialWeightDecay()
    {
        var recipe = MethodRegistry.Get("byol").Recipe;
        Assert.Equal(OptimizerKind.Lars, recipe.Optimizer);
        Assert.Equal(0.4, recipe.LearningRate(512), 12);
        Assert.Equal(1.5e-6, recipe.WeightDecay);
        Assert.Equal(10, recipe.WarmupEpochs);
    }

    [Fact]
    public void ShortTraining_OnRandomTensors_IsFinite_AndMovesBothNetworks()
    {
        using var method = Make();
        method.train();
        var before = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using var optimizer = new TrainingOptimizer(method.parameters(), OptimizerKind.Lars, learningRate: 0.5, weightDecay: 1.5e-6,
            fixedLearningRate: method.FixedLearningRateParameters);
        const int steps = 4;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var (a, b) = Views(10 + step);
            var result = method.Step(a, b);
            Assert.True(float.IsFinite(result.Loss.item<float>()), $"loss at step {step} is {result.Loss.item<float>()}");
            optimizer.ZeroGrad();
            result.Loss.backward();
            optimizer.Step();
            method.AfterOptimizerStep(StepContext.Single(step, steps));
        }
        foreach (var (name, p) in method.named_parameters())
            Assert.True((p - before[name]).abs().max().item<float>() > 0, $"{name} did not change");
        // The target trails the online network: it moved, but not all the way.
        var online = method.Projector.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Contains(method.TargetProjector.named_parameters(), p => (p.parameter - online[p.name]).abs().max().item<float>() > 0);
    }
}
