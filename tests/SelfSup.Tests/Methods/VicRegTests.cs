using SelfSup.Augment;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class VicRegTests
{
    static VicReg Make(VicRegOptions? options = null, int seed = 0)
    {
        manual_seed(seed);
        return new VicReg(new TinyEncoder(channels: 3), options ?? new VicRegOptions());
    }

    static (Tensor, Tensor) Views(int seed, int batch = 8)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, 3, 8, 8], generator: g), randn([batch, 3, 8, 8], generator: g));
    }

    [Fact]
    public void StepLoss_IsTheVicRegLoss_OfTheMethodsOwnProjections_AndLogsItsThreeTerms()
    {
        using var method = Make();
        method.train();
        var (a, b) = Views(1);
        var result = method.Step(a, b);
        using var noGrad = no_grad();
        var z1 = method.Projector.forward(method.Encoder.forward(a));   // [B, P]
        var z2 = method.Projector.forward(method.Encoder.forward(b));   // [B, P]
        using var expected = VicRegLoss.Compute(z1, z2);
        Assert.Equal(expected.Loss.item<float>(), result.Loss.item<float>(), 4);
        foreach (var (name, term) in new[] { ("invariance", expected.Invariance), ("variance", expected.Variance), ("covariance", expected.Covariance) })
            Assert.Equal(term.item<float>(), result.Scalars[name].item<float>(), 5);
        var weighted = 25 * result.Scalars["invariance"].item<float>() + 25 * result.Scalars["variance"].item<float>() + result.Scalars["covariance"].item<float>();
        Assert.Equal(weighted, result.Loss.item<float>(), 3);
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void Gradients_ReachTheEncoderAndEveryExpanderParameter()
    {
        using var method = Make();
        method.train();
        var (a, b) = Views(2);
        method.Step(a, b).Loss.backward();
        foreach (var (name, p) in method.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
    }

    [Fact]
    public void OptionWeights_ReachTheLoss()
    {
        var (a, b) = Views(4);
        using var invarianceOnly = Make(new VicRegOptions { VarianceWeight = 0, CovarianceWeight = 0, InvarianceWeight = 1 });
        invarianceOnly.train();
        var result = invarianceOnly.Step(a, b);
        Assert.Equal(result.Scalars["invariance"].item<float>(), result.Loss.item<float>(), 6);
    }

    [Fact]
    public void Expander_IsThePapersThreeLayers_FourTimesTheEncodersWidth_WithNoOutputBias()
    {
        using var method = new VicReg(new TinyEncoder(channels: 3, width: 12), new VicRegOptions());
        var shapes = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 48, 12 }, shapes["projector.net.linear0.weight"]);
        Assert.Equal(new long[] { 48, 48 }, shapes["projector.net.linear2.weight"]);
        Assert.DoesNotContain("projector.net.linear2.bias", shapes.Keys);
        Assert.Contains("projector.net.bn1.weight", shapes.Keys);
    }

    [Fact]
    public void Registry_GivesBYOLsAsymmetricViews_AndTheLarsRecipe()
    {
        var info = MethodRegistry.Get("vicreg");
        using var encoder = new TinyEncoder(channels: 3);
        var ctx = new MethodContext(encoder, () => new TinyEncoder(channels: 3), 32, 3, new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]),
            new Dictionary<string, string> { ["covariance_weight"] = "2" });
        var views = Assert.IsType<TwoViews>(info.CreateViews(ctx));
        Assert.Equal(1.0, views.First.Transforms.OfType<GaussianBlur>().Single().P);
        Assert.Equal(0.2, views.Second.Transforms.OfType<Solarize>().Single().P);
        using var method = Assert.IsType<VicReg>(info.Create(ctx));
        Assert.Equal(2.0, method.Options.CovarianceWeight);
        Assert.Equal((25.0, 25.0, 1.0, 1.0), (new VicRegOptions().InvarianceWeight, new VicRegOptions().VarianceWeight, new VicRegOptions().CovarianceWeight, new VicRegOptions().Gamma));
        Assert.Equal(OptimizerKind.Lars, info.Recipe.Optimizer);
        Assert.Equal(1.6, info.Recipe.LearningRate(2048), 12);          // the paper's 0.2 × 2048/256
        Assert.Equal(1e-6, info.Recipe.WeightDecay);
        Assert.Equal(10, info.Recipe.WarmupEpochs);
    }

    [Fact]
    public void ShortTraining_OnAFixedBatch_LowersTheLoss()
    {
        using var method = Make(new VicRegOptions { ProjectionDim = 16 });
        method.train();
        var (a, b) = Views(3, batch: 16);
        using var optimizer = new TrainingOptimizer(method.parameters(), OptimizerKind.AdamW, learningRate: 1e-2, weightDecay: 0);
        var losses = new List<float>();
        for (var step = 0; step < 10; step++)
        {
            using var scope = NewDisposeScope();
            var loss = method.Step(a, b).Loss;
            losses.Add(loss.item<float>());
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        Assert.True(losses.All(float.IsFinite), string.Join(", ", losses));
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss went {losses[0]} → {losses[^1]}");
    }

    [Fact]
    public void InvalidOptions_AreRejected_NamingTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(new VicRegOptions { Gamma = 0 }));
        Assert.Contains("gamma", e.Message);
        e = Assert.Throws<ArgumentException>(() => Make(new VicRegOptions { VarianceWeight = -1 }));
        Assert.Contains("variance_weight", e.Message);
    }
}
