using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class SimSiamTests
{
    static SimSiam Make(SimSiamOptions? options = null, int seed = 0)
    {
        manual_seed(seed);
        return new SimSiam(new TinyEncoder(channels: 3), options ?? new SimSiamOptions());
    }

    static (Tensor, Tensor) Views(int seed, int batch = 6)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, 3, 8, 8], generator: g), randn([batch, 3, 8, 8], generator: g));
    }

    static Dictionary<string, Tensor> Gradients(SimSiam method, Tensor a, Tensor b)
    {
        method.zero_grad();
        method.Step(a, b).Loss.backward();
        return method.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    [Fact]
    public void Gradients_ReachTheEncoderProjectorAndPredictor()
    {
        using var method = Make();
        method.train();
        var (a, b) = Views(1);
        var result = method.Step(a, b);
        result.Loss.backward();
        foreach (var (name, p) in method.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        Assert.Contains("projection_std", result.Scalars.Keys);
        var loss = result.Loss.item<float>();
        Assert.InRange(loss, -1f, 1f);
    }

    [Fact]
    public void StopGradientOff_LetsTheLossBackPropagateThroughTheTargets()
    {
        var (a, b) = Views(2);
        using var stopped = Make(new SimSiamOptions { StopGradient = true });
        using var open = Make(new SimSiamOptions { StopGradient = false });
        stopped.train();
        open.train();
        var gs = Gradients(stopped, a, b);
        var go = Gradients(open, a, b);
        // Same weights and views: the losses agree, the predictor's gradients agree (it sits only on the prediction
        // side), and the projector's differ by what flows back through the targets z.
        Assert.Equal(stopped.Step(a, b).Loss.item<float>(), open.Step(a, b).Loss.item<float>(), 5);
        foreach (var name in gs.Keys.Where(k => k.StartsWith("predictor.", StringComparison.Ordinal)))
            Assert.True((gs[name] - go[name]).abs().max().item<float>() < 1e-6, $"{name}: the predictor's gradient changed");
        var projectorDifference = gs.Keys.Where(k => k.StartsWith("projector.", StringComparison.Ordinal))
            .Max(k => (gs[k] - go[k]).abs().max().item<float>());
        Assert.True(projectorDifference > 1e-6, "the targets passed no gradient with stop_gradient=false");
    }

    [Fact]
    public void PredictorRate_StaysFixed_WhileTheRestFollowsTheSchedule()
    {
        foreach (var fix in new[] { true, false })
        {
            using var method = Make(new SimSiamOptions { FixPredictorLr = fix });
            method.train();
            using var optimizer = new TrainingOptimizer(method.parameters(), OptimizerKind.Sgd, learningRate: 0.05, weightDecay: 1e-4,
                fixedLearningRate: method.FixedLearningRateParameters);
            Assert.Equal(fix ? method.Predictor.parameters().Count() : 0, optimizer.FixedRateCount);
            var before = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            optimizer.SetLearningRate(0); // the end of a cosine schedule
            var (a, b) = Views(3);
            optimizer.ZeroGrad();
            method.Step(a, b).Loss.backward();
            optimizer.Step();
            foreach (var (name, p) in method.named_parameters())
            {
                var moved = (p - before[name]).abs().max().item<float>() > 0;
                var expected = fix && name.StartsWith("predictor.", StringComparison.Ordinal);
                Assert.True(moved == expected, $"fix_predictor_lr={fix}: {name} {(moved ? "moved" : "stayed")} at a scheduled rate of 0");
            }
        }
    }

    [Fact]
    public void Heads_AreTheOfficialBuilders_ScaledToTheEncoder()
    {
        using var method = new SimSiam(new TinyEncoder(channels: 3, width: 16), new SimSiamOptions());
        var shapes = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 16, 16 }, shapes["projector.net.linear0.weight"]);
        Assert.Equal(new long[] { 16, 16 }, shapes["projector.net.linear2.weight"]);      // 3 layers at the encoder's width
        Assert.DoesNotContain("projector.net.bn2.weight", shapes.Keys);                   // output BN without γ/β
        Assert.Contains("projector.net.bn1.weight", shapes.Keys);
        Assert.Equal(new long[] { 4, 16 }, shapes["predictor.net.linear0.weight"]);       // bottleneck: a quarter of the width
        Assert.Equal(new long[] { 16, 4 }, shapes["predictor.net.linear1.weight"]);
        Assert.Contains("predictor.net.linear1.bias", shapes.Keys);                       // output Linear with bias, no BN
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("target", StringComparison.Ordinal)); // no EMA copy
    }

    [Fact]
    public void Recipe_IsSgdAt005TimesBOver256_WithoutWarmup_AndViewsCropFromAFifth()
    {
        var info = MethodRegistry.Get("simsiam");
        Assert.Equal(OptimizerKind.Sgd, info.Recipe.Optimizer);
        Assert.Equal(0.1, info.Recipe.LearningRate(512), 12);
        Assert.Equal(1e-4, info.Recipe.WeightDecay);
        Assert.Equal(0, info.Recipe.WarmupEpochs);
        using var encoder = new TinyEncoder(channels: 3);
        var ctx = new MethodContext(encoder, () => new TinyEncoder(channels: 3), 32, 3, new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), new Dictionary<string, string>());
        var views = Assert.IsType<TwoViews>(info.CreateViews(ctx));
        Assert.Equal(0.2, views.First.Transforms.OfType<RandomResizedCrop>().Single().Scale.Min);
    }

    [Fact]
    public void ShortTraining_OnRandomTensors_IsFinite_AndChangesEveryParameter()
    {
        using var method = Make();
        method.train();
        var before = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using var optimizer = new TrainingOptimizer(method.parameters(), OptimizerKind.Sgd, learningRate: 0.05, weightDecay: 1e-4,
            fixedLearningRate: method.FixedLearningRateParameters);
        for (var step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var (a, b) = Views(10 + step);
            var result = method.Step(a, b);
            Assert.True(float.IsFinite(result.Loss.item<float>()), $"loss at step {step} is {result.Loss.item<float>()}");
            optimizer.ZeroGrad();
            result.Loss.backward();
            optimizer.Step();
        }
        foreach (var (name, p) in method.named_parameters())
            Assert.True((p - before[name]).abs().max().item<float>() > 0, $"{name} did not change");
    }
}
