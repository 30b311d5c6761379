using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class SplitBrainTests
{
    static readonly ChannelStats Rgb = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);

    static SplitBrain Tiny(SplitBrainOptions? options = null, int width = 8) =>
        new(new TinyEncoder(channels: 1, width: width), new TinyEncoder(channels: 2, width: width + 2), 8, Rgb, options ?? new SplitBrainOptions());

    static RunConfig Config(string encoder, int width, Dictionary<string, string>? options = null) => new()
    {
        Method = "split-brain", Data = "synthetic", Encoder = encoder, Width = width, ImageSize = 16, Channels = 3,
        Epochs = 1, BatchSize = 8, Optimizer = OptimizerKind.AdamW, LearningRate = 1e-3, Seed = 7,
        CheckpointEvery = 0, MonitorEvery = 0, NormalizeMean = [0.5f, 0.5f, 0.5f], NormalizeStd = [0.25f, 0.25f, 0.25f],
        MethodOptions = options ?? new(),
    };

    static Tensor Pixels(float r, float g, float b) => tensor(new[] { r, g, b }).view(1, 3, 1, 1).expand(1, 3, 8, 8).contiguous();

    [Fact]
    public void LightnessBins_AreTwoLUnitsWide_WithTheEndsClampedIntoTheFirstAndLastBin()
    {
        using var scope = NewDisposeScope();
        var bins = new LightnessBins();
        Assert.Equal(50, bins.Count);
        var l = tensor(new float[] { 0, 1.99f, 2, 50, 53.24f, 99.9f, 100, -1, 101 }).view(1, 1, 1, 9);
        Assert.Equal(new long[] { 0, 0, 1, 25, 26, 49, 49, 0, 49 }, bins.Quantise(l).data<long>().ToArray());
        var centers = bins.CenterTensor(CPU).data<float>().ToArray();
        Assert.Equal(1f, centers[0]);
        Assert.Equal(51f, centers[25]);
        Assert.Equal(99f, centers[49]);
    }

    [Fact]
    public void SubNetworkInputs_OfPureRed_AreItsCentredLAndItsScaledAb()
    {
        using var scope = NewDisposeScope();
        // sRGB red is Lab (53.24, 80.09, 67.20): F1 sees (53.24 − 50)/100, F2 sees (80.09, 67.20)/110.
        var lab = LightnessEncoder.Lab(Rgb.Normalize(Pixels(1, 0, 0)), Rgb);
        Assert.Equal(0.0324f, LightnessEncoder.InputOf(lab)[0, 0, 0, 0].item<float>(), 3);
        var ab = SplitBrainEncoder.ColorInputOf(lab);
        Assert.Equal(new long[] { 1, 2, 8, 8 }, ab.shape);
        Assert.Equal(80.09f / 110, ab[0, 0, 0, 0].item<float>(), 3);
        Assert.Equal(67.20f / 110, ab[0, 1, 0, 0].item<float>(), 3);
        // Its targets: L bin 26 (L 52–54) and the ab bin at (80, 70).
        using var method = Tiny();
        Assert.Equal(26L, method.LBins.Quantise(lab.narrow(1, 0, 1))[0, 0, 0].item<long>());
        Assert.Equal((80.0, 70.0), method.AbBins.Centers[method.AbBins.Quantise(lab.narrow(1, 1, 2))[0, 0, 0].item<long>()]);
    }

    [Fact]
    public void Predictions_HaveOneLogitPerBinAndPixel_AndTheEmbeddingConcatenatesBothHalves()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny();
        var lab = LightnessEncoder.Lab(randn(2, 3, 8, 8, generator: new Generator(1)), Rgb);
        var (ab, l, embedding) = method.Predict(lab);
        Assert.Equal(new long[] { 2, 261, 8, 8 }, ab.shape);
        Assert.Equal(new long[] { 2, 50, 8, 8 }, l.shape);
        Assert.Equal(new long[] { 2, 8 + 10 }, embedding.shape);
        Assert.Equal(18, method.Representation.EmbeddingDim);
        method.eval();
        Assert.Equal(new long[] { 3, 18 }, method.Representation.forward(randn(3, 3, 8, 8)).shape);
    }

    [Fact]
    public void Representation_SeesTheLightnessInItsFirstHalf_AndTheColourInItsSecond()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny();
        method.eval();
        // Pure red and a gray of the same L (53.24): F1's half agrees, F2's half (ab 0 against ab (80, 67)) differs.
        var red = method.Representation.forward(Rgb.Normalize(Pixels(1, 0, 0)));
        var grayRgb = CieLab.LabToRgb(tensor(new float[] { 53.24f, 0, 0 }).view(1, 3, 1, 1)).expand(1, 3, 8, 8);
        var gray = method.Representation.forward(Rgb.Normalize(grayRgb));
        Assert.True((red.narrow(1, 0, 8) - gray.narrow(1, 0, 8)).abs().max().item<float>() < 1e-3);
        Assert.True((red.narrow(1, 8, 10) - gray.narrow(1, 8, 10)).abs().max().item<float>() > 1e-2);
    }

    [Fact]
    public void Step_IsFinite_NearTheSumOfBothChanceLosses_AndItsGradientReachesBothSubNetworksAndHeads()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny();
        method.train();
        var result = method.Step(randn(4, 3, 8, 8, generator: new Generator(2)));
        var loss = result.Loss.item<float>();
        // Untrained heads: about ln 261 + ln 50 ≈ 9.5.
        Assert.InRange(loss, 0.5 * (Math.Log(261) + Math.Log(50)), 2 * (Math.Log(261) + Math.Log(50)));
        Assert.Equal(loss, result.Scalars["ab_loss"].item<float>() + result.Scalars["l_loss"].item<float>(), 4);
        result.Loss.backward();
        Assert.All(method.parameters(), p => Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0));
        Assert.True(method.Encoder.parameters().Any() && method.ColorEncoder.parameters().Any());
        var accuracy = result.Scalars["pretext_accuracy"].item<float>();
        Assert.Equal((result.Scalars["ab_accuracy"].item<float>() + result.Scalars["l_accuracy"].item<float>()) / 2, accuracy, 6);
        Assert.True(result.Scalars.ContainsKey("embedding_std"));
    }

    [Fact]
    public void LossDecreases_OverAFewAdamSteps_OnATinyBatch()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny();
        method.train();
        var x = randn(4, 3, 8, 8, generator: new Generator(3));
        using var optimizer = optim.Adam(method.parameters(), lr: 1e-2);
        var losses = new List<float>();
        for (var i = 0; i < 15; i++)
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            var result = method.Step(x);
            result.Loss.backward();
            optimizer.step();
            losses.Add(result.Loss.item<float>());
        }
        Assert.True(losses[^1] < 0.9 * losses[0], $"losses {string.Join(", ", losses)}");
    }

    [Fact]
    public void Regression_PredictsTwoAndOneChannels_AndItsGradientReachesBothSubNetworks()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny(new SplitBrainOptions { Loss = CrossChannelLoss.Regression });
        method.train();
        var lab = LightnessEncoder.Lab(randn(2, 3, 8, 8, generator: new Generator(4)), Rgb);
        var (ab, l, _) = method.Predict(lab);
        Assert.Equal(2, ab.shape[1]);
        Assert.Equal(1, l.shape[1]);
        var result = method.Step(randn(2, 3, 8, 8, generator: new Generator(4)));
        result.Loss.backward();
        Assert.True(method.Encoder.parameters().All(p => p.grad is { } g && g.abs().sum().item<float>() > 0));
        Assert.True(method.ColorEncoder.parameters().All(p => p.grad is { } g && g.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void Counting_AGrayDataset_PutsEveryPixelInTheGrayAbBin_AndTheChanceAveragesBothMostCommonShares()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var stats = new ChannelStats([0.5f], [0.25f]);
        using var method = new SplitBrain(new TinyEncoder(1), new TinyEncoder(2), 8, stats, new SplitBrainOptions());
        using var data = SyntheticData.Random(6, channels: 1, size: 8);
        Assert.Equal((1.0 / 261 + 1.0 / 50) / 2, method.PretextChance, 9);
        method.BeforeEpoch(new EpochContext(0, 0, data, stats, CPU, 1, 0, 1));
        var (abCounts, lCounts) = method.BinCounts;
        Assert.Equal(6 * 64f, abCounts.max().item<float>());
        Assert.Equal(6 * 64f, lCounts.sum().item<float>());
        var lShare = lCounts.max().item<float>() / (6 * 64.0);
        Assert.Equal((1.0 + lShare) / 2, method.PretextChance, 6);
        var w = method.ClassWeights;
        Assert.True(w[abCounts.argmax()].item<float>() < w.max().item<float>());
    }

    [Fact]
    public void PretextScore_CountsEveryPixelTwice_AndPicturesKeepTheImagesShape()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = Tiny();
        method.train();
        var x = Rgb.Normalize(rand(3, 3, 8, 8, generator: new Generator(5)) * 0.4 + 0.3); // mild colours, inside the gamut
        var (correct, total) = method.PretextScore(x, new Generator(1));
        Assert.Equal(2 * 3 * 64, total);
        Assert.InRange(correct, 0, total);
        Assert.True(method.training);
        var columns = method.ReconstructionColumns(x, new Generator(1));
        Assert.Equal(3, columns.Length);
        Assert.All(columns, c => Assert.Equal(x.shape, c.shape));
        Assert.Equal(0f, (columns[0] - x).abs().max().item<float>());
        // The L → ab column keeps the image's L on average (sRGB clamping of the predicted colours moves it a little).
        var l = CieLab.RgbToLab(Rgb.Denormalize(columns[1])).narrow(1, 0, 1);
        var expected = LightnessEncoder.Lab(x, Rgb).narrow(1, 0, 1);
        var drift = (l - expected).abs().mean().item<float>();
        Assert.True(drift < 5, $"mean |ΔL| {drift}");
    }

    [Fact]
    public void BuiltFromARun_BothSubNetworksHaveHalfItsWidth_AndTheRandomInitTwinIsTheSameArchitectureAndWeights()
    {
        using var scope = NewDisposeScope();
        var config = Config("convnet", 8);
        var (built, _) = Pretraining.BuildMethod(config);
        using var method = (SplitBrain)built;
        var lightness = Assert.IsType<ConvNet>(method.Encoder);
        var color = Assert.IsType<ConvNet>(method.ColorEncoder);
        Assert.Equal(4, lightness.Width);
        Assert.Equal(4, color.Width);
        Assert.Equal(new long[] { 4, 1, 3, 3 }, lightness.get_parameter("features.conv1.weight")!.shape);
        Assert.Equal(new long[] { 4, 2, 3, 3 }, color.get_parameter("features.conv1.weight")!.shape);
        // Two half-width ConvNets (4·4 each) are as wide as the run's width-8 ConvNet (4·8).
        Assert.Equal(32, method.Representation.EmbeddingDim);
        using var twin = Pretraining.BuildRepresentation(config);
        var trained = method.Representation.state_dict();
        var fresh = twin.state_dict();
        Assert.Equal(trained.Keys.Order(), fresh.Keys.Order());
        Assert.Contains("lightness.features.conv1.weight", trained.Keys);
        Assert.Contains("color.features.conv1.weight", trained.Keys);
        foreach (var (key, value) in trained) Assert.True(value.eq(fresh[key]).all().item<bool>(), key);
    }

    [Fact]
    public void WithoutHalving_TheLNetworkIsTheRunsOneChannelEncoder_AndTheAbNetworkHasItsWidth()
    {
        using var scope = NewDisposeScope();
        var (built, _) = Pretraining.BuildMethod(Config("resnet18", 4, new() { ["half_width"] = "false" }));
        using var method = (SplitBrain)built;
        Assert.Equal(4, Assert.IsType<ResNet>(method.Encoder).Width);
        Assert.Equal(4, Assert.IsType<ResNet>(method.ColorEncoder).Width);
        Assert.Equal(2 * 8 * 4, method.Representation.EmbeddingDim);
    }

    [Fact]
    public void AResNetOfDefaultWidth_SplitsIntoTwoHalvesOf32()
    {
        using var scope = NewDisposeScope();
        var (built, _) = Pretraining.BuildMethod(Config("resnet18", 0));
        using var method = (SplitBrain)built;
        Assert.Equal(32, Assert.IsType<ResNet>(method.Encoder).Width);
        Assert.Equal(512, method.Representation.EmbeddingDim);
    }

    [Theory]
    [InlineData("convnet", 5, null, null, "split-brain.half_width")]
    [InlineData("vit-tiny/p2/d1", 16, null, null, "feature map")]
    [InlineData("convnet", 4, "lightness_bins", "1", "split-brain.lightness_bins")]
    [InlineData("convnet", 4, "prior_images", "0", "split-brain.prior_images")]
    [InlineData("convnet", 4, "rebalance_lambda", "0", "split-brain.rebalance_lambda")]
    [InlineData("convnet", 4, "temperature", "0", "split-brain.temperature")]
    public void InvalidSettings_AreRefusedWithAMessageNamingTheField(string encoder, int width, string? key, string? value, string expected)
    {
        var options = key is null ? new Dictionary<string, string>() : new() { [key] = value! };
        var e = Assert.Throws<ArgumentException>(() => Pretraining.BuildMethod(Config(encoder, width, options)));
        Assert.Contains(expected, e.Message);
    }
}
