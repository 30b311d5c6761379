using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class SimClrTests
{
    static SimClr Make(int seed = 0)
    {
        manual_seed(seed);
        return new SimClr(new TinyEncoder(channels: 3), new SimClrOptions { ProjectionHiddenDim = 16, ProjectionDim = 8 });
    }

    [Fact]
    public void Gradients_ReachTheEncoderAndTheProjector()
    {
        using var method = Make();
        using var g = new Generator(1);
        var views = new[] { randn([6, 3, 8, 8], generator: g), randn([6, 3, 8, 8], generator: g) };
        var result = method.Step(views);
        result.Loss.backward();
        foreach (var (name, p) in method.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void ProjectionHead_IsTheReferences_HiddenAtEncoderWidth_WithBatchNormOnTheOutput()
    {
        manual_seed(0);
        using var method = new SimClr(new TinyEncoder(channels: 3, width: 12), new SimClrOptions { ProjectionDim = 8 });
        var shapes = method.named_parameters().Where(p => p.name.StartsWith("projector.")).ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 12, 12 }, shapes["projector.net.linear0.weight"]); // hidden width = encoder width
        Assert.Equal(new long[] { 8, 12 }, shapes["projector.net.linear1.weight"]);
        Assert.Contains("projector.net.bn1.weight", shapes.Keys);                  // BN (scale only) on the output layer
        Assert.DoesNotContain("projector.net.bn1.bias", shapes.Keys);
        method.train();
        using var z = method.Step(randn(16, 3, 8, 8), randn(16, 3, 8, 8)).Loss;
        Assert.True(float.IsFinite(z.item<float>()));
    }

    [Fact]
    public void ResidualBranches_StartAtZero_UnlessTurnedOff()
    {
        float LastNormScale(bool zero)
        {
            manual_seed(0);
            var resnet = new SelfSup.Encoders.ResNet(SelfSup.Encoders.ResNetDepth.ResNet18, new SelfSup.Encoders.ResNetOptions(InChannels: 3, Width: 4));
            using var method = new SimClr(resnet, new SimClrOptions { ZeroInitResidual = zero });
            return method.Encoder.named_parameters().Where(p => p.name.EndsWith("bn2.weight", StringComparison.Ordinal)).Sum(p => p.parameter.abs().sum().item<float>());
        }
        Assert.Equal(0f, LastNormScale(zero: true));
        Assert.True(LastNormScale(zero: false) > 0);
    }

    [Fact]
    public void Loss_IsSymmetricInTheTwoViews()
    {
        using var method = Make();
        using var g = new Generator(2);
        using var a = randn([6, 3, 8, 8], generator: g);
        using var b = randn([6, 3, 8, 8], generator: g);
        method.eval(); // fixed BN statistics so both calls see the same normalisation
        using var ab = method.Step(a, b).Loss;
        using var ba = method.Step(b, a).Loss;
        Assert.Equal(ab.item<float>(), ba.item<float>(), 5);
    }

    [Fact]
    public void Options_BindFromStrings_AndRejectUnknownKeys()
    {
        var opts = OptionBinder.Bind(new SimClrOptions(), new Dictionary<string, string> { ["temperature"] = "0.2" }, "simclr");
        Assert.Equal(0.2, opts.Temperature);
        var e = Assert.Throws<ArgumentException>(() => OptionBinder.Bind(new SimClrOptions(), new Dictionary<string, string> { ["temprature"] = "0.2" }, "simclr"));
        Assert.Contains("temprature", e.Message);
    }

    [Fact]
    public void Registry_ListsSimClr()
    {
        var info = MethodRegistry.Get("simclr");
        Assert.Equal("contrastive", info.Family);
        Assert.Contains("Chen", info.Paper);
        Assert.Contains("simclr", Assert.Throws<ArgumentException>(() => MethodRegistry.Get("nope")).Message);
    }
}

/// <summary>SimCLR on real images: a short run on Fashion-MNIST must beat the same encoder at random init.</summary>
public class SimClrRealDataTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void ShortRunOnFashionMnist_BeatsRandomInit_InKnnAccuracy()
    {
        var runDir = Directory.CreateTempSubdirectory("selfsup-simclr-fmnist-").FullName;
        try
        {
            var config = new SelfSup.Training.RunConfig
            {
                // One epoch of the 60,000 training images (234 steps, ≈ 40 s on 2 cores). Crops keep ≥ 20 % of a
                // 28-px image: the paper's 8 % leaves too little of a small grayscale digit or garment to match.
                Method = "simclr", Data = "fashion-mnist", Encoder = "convnet", Width = 16,
                Epochs = 1, BatchSize = 256, Optimizer = SelfSup.Training.OptimizerKind.Lars, LearningRate = 1.0,
                WeightDecay = 1e-6, WarmupEpochs = 0.5, CheckpointEvery = 0, Seed = 1,
                MethodOptions = new() { ["projection_hidden_dim"] = "256", ["temperature"] = "0.2", ["crop_min_scale"] = "0.2" },
            };
            using var run = SelfSup.Runs.Pretraining.Create(config, runDir);
            var summary = run.Trainer.Fit();
            using var randomInit = SelfSup.Runs.Pretraining.BuildRepresentation(run.Config);
            using var train = SelfSup.Runs.Pretraining.LimitTo(SelfSup.Data.Datasets.Load("fashion-mnist", "train"), 5000, 2);
            using var test = SelfSup.Runs.Pretraining.LimitTo(SelfSup.Data.Datasets.Load("fashion-mnist", "test"), 2000, 3);
            var stats = new ChannelStats(run.Config.NormalizeMean, run.Config.NormalizeStd);
            var report = SelfSup.Evaluation.FrozenEvaluation.Run(run.Method.Encoder, randomInit, train, test, stats,
                new SelfSup.Evaluation.FrozenEvalOptions { Device = CPU });
            output.WriteLine($"{summary.StepsDone} steps in {summary.Seconds:F0} s; k-NN {report.Knn.Top1:F1} vs random init {report.RandomInit.Knn.Top1:F1}; linear {report.Linear.Top1:F1} vs {report.RandomInit.Linear.Top1:F1}");
            Assert.True(report.Knn.Top1 > report.RandomInit.Knn.Top1 + 2,
                $"SimCLR k-NN {report.Knn.Top1:F1} % does not beat the random-init encoder's {report.RandomInit.Knn.Top1:F1} %");
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
