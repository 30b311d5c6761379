using SelfSup.Augment;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class BarlowTwinsTests
{
    static BarlowTwins Make(BarlowTwinsOptions? options = null, int seed = 0)
    {
        manual_seed(seed);
        return new BarlowTwins(new TinyEncoder(channels: 3), options ?? new BarlowTwinsOptions());
    }

    static (Tensor, Tensor) Views(int seed, int batch = 8)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, 3, 8, 8], generator: g), randn([batch, 3, 8, 8], generator: g));
    }

    [Fact]
    public void StepLoss_IsTheBarlowTwinsLoss_OfTheMethodsOwnProjections_PairedByImage()
    {
        using var method = Make();
        method.train(); // batch statistics: the same normalisation in every call below
        var (a, b) = Views(1);
        var result = method.Step(a, b);
        using var noGrad = no_grad();
        var z1 = method.Projector.forward(method.Encoder.forward(a));   // [B, P]
        var z2 = method.Projector.forward(method.Encoder.forward(b));   // [B, P]
        using var expected = BarlowTwinsLoss.Compute(z1, z2);
        Assert.Equal(expected.Loss.item<float>(), result.Loss.item<float>(), 5);
        Assert.Equal(expected.Invariance.item<float>(), result.Scalars["invariance"].item<float>(), 5);
        Assert.Equal(expected.Redundancy.item<float>(), result.Scalars["redundancy"].item<float>(), 5);
        Assert.Contains("embedding_std", result.Scalars.Keys);
        // Rows are paired by image: the same projections with the second view's rows rolled give another loss.
        using var rolled = BarlowTwinsLoss.Loss(z1, z2.roll(1, 0));
        Assert.True(Math.Abs(rolled.item<float>() - result.Loss.item<float>()) > 1e-3, "pairing rows of different images gave the same loss");
    }

    [Fact]
    public void Gradients_ReachTheEncoderAndEveryProjectorParameter()
    {
        using var method = Make();
        method.train();
        var (a, b) = Views(2);
        method.Step(a, b).Loss.backward();
        foreach (var (name, p) in method.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
    }

    [Fact]
    public void Projector_IsThePapersThreeLayers_FourTimesTheEncodersWidth_WithNoOutputBias()
    {
        using var method = new BarlowTwins(new TinyEncoder(channels: 3, width: 12), new BarlowTwinsOptions());
        var shapes = method.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 48, 12 }, shapes["projector.net.linear0.weight"]);
        Assert.Equal(new long[] { 48, 48 }, shapes["projector.net.linear1.weight"]);
        Assert.Equal(new long[] { 48, 48 }, shapes["projector.net.linear2.weight"]);
        Assert.Contains("projector.net.bn1.weight", shapes.Keys);
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("projector.net.linear", StringComparison.Ordinal) && k.EndsWith(".bias", StringComparison.Ordinal));
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("projector.net.bn2", StringComparison.Ordinal)); // no norm on the output
        using var custom = new BarlowTwins(new TinyEncoder(channels: 3), new BarlowTwinsOptions { ProjectionDim = 10, ProjectionHiddenDim = 6, ProjectionLayers = 2 });
        Assert.Equal((8, 6, 10), (custom.Projector.Options.InputDim, custom.Projector.Options.HiddenDims.Single(), custom.Projector.OutputDim));
    }

    [Fact]
    public void Registry_GivesBYOLsAsymmetricViews_AndTheLarsRecipe()
    {
        var info = MethodRegistry.Get("barlow-twins");
        using var encoder = new TinyEncoder(channels: 3);
        var ctx = new MethodContext(encoder, () => new TinyEncoder(channels: 3), 32, 3, new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]),
            new Dictionary<string, string> { ["lambda"] = "0.02" });
        var views = Assert.IsType<TwoViews>(info.CreateViews(ctx));
        Assert.Equal(1.0, views.First.Transforms.OfType<GaussianBlur>().Single().P);
        Assert.Empty(views.First.Transforms.OfType<Solarize>());
        Assert.Equal(0.1, views.Second.Transforms.OfType<GaussianBlur>().Single().P);
        Assert.Equal(0.2, views.Second.Transforms.OfType<Solarize>().Single().P);
        using var method = Assert.IsType<BarlowTwins>(info.Create(ctx));
        Assert.Equal(0.02, method.Options.Lambda);
        Assert.Equal(0.0051, new BarlowTwinsOptions().Lambda);
        Assert.Equal(OptimizerKind.Lars, info.Recipe.Optimizer);
        Assert.Equal(0.4, info.Recipe.LearningRate(512), 12);
        Assert.Equal(1.5e-6, info.Recipe.WeightDecay);
        Assert.Equal(10, info.Recipe.WarmupEpochs);
    }

    [Fact]
    public void ShortTraining_OnAFixedBatch_LowersTheLoss()
    {
        using var method = Make(new BarlowTwinsOptions { ProjectionDim = 16 });
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
        var e = Assert.Throws<ArgumentException>(() => Make(new BarlowTwinsOptions { ProjectionLayers = 0 }));
        Assert.Contains("projection_layers", e.Message);
        e = Assert.Throws<ArgumentException>(() => Make(new BarlowTwinsOptions { Lambda = -0.1 }));
        Assert.Contains("lambda", e.Message);
    }
}
