using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class ColorizationTests
{
    static readonly ChannelStats Rgb = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);

    /// <summary>An ab batch [1, 2, 1, N] of the given (a, b) pairs.</summary>
    static Tensor Ab(params (float A, float B)[] values) =>
        tensor(values.Select(v => v.A).Concat(values.Select(v => v.B)).ToArray()).view(1, 2, 1, values.Length);

    static int BinOf(AbBins bins, double a, double b) => Array.IndexOf(bins.Centers, (a, b));

    [Fact]
    public void AbBins_OfTheSrgbGamut_KeepTheGrayAndPrimaryCells_AndDropTheCornersOfTheGrid()
    {
        var bins = new AbBins();
        Assert.Equal(261, bins.Count);
        Assert.True(BinOf(bins, 0, 0) >= 0);
        Assert.True(BinOf(bins, 80, 70) >= 0);   // red: a 80.09, b 67.20
        Assert.True(BinOf(bins, -90, 80) >= 0);  // green: a −86.18, b 83.18
        Assert.Equal(-1, BinOf(bins, 110, 110)); // no sRGB colour is that saturated
        Assert.Equal(-1, BinOf(bins, -110, -110));
    }

    [Fact]
    public void Quantise_MapsEachAbToItsNearestGridPoint_AndOutOfGamutPointsToTheNearestBin()
    {
        using var scope = NewDisposeScope();
        var bins = new AbBins();
        var q = bins.Quantise(Ab((0, 0), (4.9f, -4.9f), (5.1f, 0), (-23, 38), (80.1f, 67.2f), (110, 110))).data<long>().ToArray();
        Assert.Equal(BinOf(bins, 0, 0), q[0]);
        Assert.Equal(BinOf(bins, 0, 0), q[1]);
        Assert.Equal(BinOf(bins, 10, 0), q[2]);
        Assert.Equal(BinOf(bins, -20, 40), q[3]);
        Assert.Equal(BinOf(bins, 80, 70), q[4]);
        var corner = bins.Centers[q[5]];
        var nearest = bins.Centers.Min(c => Math.Pow(c.A - 110, 2) + Math.Pow(c.B - 110, 2));
        Assert.Equal(nearest, Math.Pow(corner.A - 110, 2) + Math.Pow(corner.B - 110, 2), 6);
    }

    [Fact]
    public void RebalancingWeights_OfAThreeBinDistribution_MatchTheHandComputedValues()
    {
        using var scope = NewDisposeScope();
        // λ = 0.5, p = (0.5, 0.3, 0.2): mix = 0.5·p + 0.5/3 = (5/12, 19/60, 16/60); 1/mix = (2.4, 60/19, 3.75);
        // Σ p/mix = 1.2 + 18/19 + 0.75 = 2.897368…; w = (1/mix) / 2.897368….
        var w = ClassRebalancing.Weights(tensor(new float[] { 0.5f, 0.3f, 0.2f }), 0.5).data<float>().ToArray();
        var norm = 1.2 + 18.0 / 19 + 0.75;
        Assert.Equal(2.4 / norm, w[0], 5);
        Assert.Equal(60.0 / 19 / norm, w[1], 5);
        Assert.Equal(3.75 / norm, w[2], 5);
    }

    [Fact]
    public void Smoothing_SpreadsMassToNeighbouringBinsByTheGaussianOfTheirDistance()
    {
        using var scope = NewDisposeScope();
        // Bins at a = 0, 10, 20; all mass on the first; σ = 5: kernel weights 1, e^−2, e^−8 before normalising.
        var centers = tensor(new float[] { 0, 0, 10, 0, 20, 0 }).view(3, 2);
        var p = ClassRebalancing.Smooth(tensor(new float[] { 4, 0, 0 }), centers, 5).data<float>().ToArray();
        var z = 1 + Math.Exp(-2) + Math.Exp(-8);
        Assert.Equal(1 / z, p[0], 5);
        Assert.Equal(Math.Exp(-2) / z, p[1], 5);
        Assert.Equal(Math.Exp(-8) / z, p[2], 5);
    }

    [Fact]
    public void AnnealedMean_SharpensTheDistributionByOneOverT_BeforeAveragingTheBinCentres()
    {
        using var scope = NewDisposeScope();
        // Two bins at a = 0 and a = 10 with probabilities (0.75, 0.25): the mean is a = 2.5; at T = 0.5 the weights are
        // 0.75², 0.25² renormalised, (0.9, 0.1), so a = 1.
        var logits = tensor(new float[] { (float)Math.Log(0.75), (float)Math.Log(0.25) }).view(1, 2, 1, 1);
        var centers = tensor(new float[] { 0, 0, 10, 0 }).view(2, 2);
        Assert.Equal(2.5f, Colorization.AnnealedMean(logits, centers, 1.0)[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(1.0f, Colorization.AnnealedMean(logits, centers, 0.5)[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(0f, Colorization.AnnealedMean(logits, centers, 0.5)[0, 1, 0, 0].item<float>(), 6);
    }

    [Fact]
    public void Step_OnRgbImages_IsFinite_AndItsGradientReachesTheEncoderAndTheHead()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions());
        method.train();
        var x = randn(4, 3, 8, 8, generator: new Generator(2));
        var result = method.Step(x);
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        // Q-way cross-entropy of an untrained head is near ln Q.
        Assert.InRange(result.Loss.item<float>(), 0.5 * Math.Log(261), 2 * Math.Log(261));
        result.Loss.backward();
        Assert.All(method.parameters(), p => Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0));
        Assert.InRange(result.Scalars["pretext_accuracy"].item<float>(), 0f, 1f);
        Assert.True(result.Scalars.ContainsKey("embedding_std"));
    }

    [Fact]
    public void Representation_TakesRgbImages_AndSeesOnlyTheirLightness()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions());
        method.eval();
        // A pure red and a gray of the same L (53.24): the same L image, hence the same embedding.
        var red = Rgb.Normalize(Pixels(1, 0, 0));
        var gray = Rgb.Normalize(CieLab.LabToRgb(tensor(new float[] { 53.24f, 0, 0 }).view(1, 3, 1, 1)).expand(1, 3, 4, 4));
        var difference = (method.Representation.forward(red) - method.Representation.forward(gray)).abs().max().item<float>();
        Assert.True(difference < 1e-3, $"embeddings differ by {difference}");
        Assert.Equal(method.Encoder.EmbeddingDim, method.Representation.EmbeddingDim);
    }

    static Tensor Pixels(float r, float g, float b) => tensor(new[] { r, g, b }).view(1, 3, 1, 1).expand(1, 3, 4, 4).contiguous();

    [Fact]
    public void ClassWeights_AfterCountingAGrayDataset_FavourRareBins_AndTheChanceIsTheGrayShare()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var stats = new ChannelStats([0.5f], [0.25f]);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, stats, new ColorizationOptions());
        using var data = SyntheticData.Random(6, channels: 1, size: 8);
        Assert.Equal(1.0 / 261, method.PretextChance, 9);
        method.BeforeEpoch(new EpochContext(0, 0, data, stats, CPU, 1, 0, 1));
        var gray = BinOf(method.Bins, 0, 0);
        Assert.Equal(6 * 64f, method.BinCounts[gray].item<float>());
        Assert.Equal(1.0, method.PretextChance, 9);
        var w = method.ClassWeights;
        Assert.True(w[gray].item<float>() < w.max().item<float>());
        // Σ p̃·w = 1 by construction; the gray bin holds most of p̃, so its weight is just under 1/p̃_gray.
        Assert.True(w[gray].item<float>() < 1f);
    }

    [Fact]
    public void BinCounts_OfADatasetStoredClassByClass_CoverEveryClass_WhenOnlyPartIsCounted()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 4, Rgb, new ColorizationOptions { PriorImages = 4 });
        // 4 red images, then 4 blue: the first 4 alone would count no blue pixel.
        var red = tensor(new byte[] { 255, 0, 0 }).view(1, 3, 1, 1).expand(4, 3, 4, 4);
        var blue = tensor(new byte[] { 0, 0, 255 }).view(1, 3, 1, 1).expand(4, 3, 4, 4);
        using var data = new SelfSup.Data.ImageDataset("sorted", cat([red, blue], 0).contiguous(), [0, 0, 0, 0, 1, 1, 1, 1]);
        method.BeforeEpoch(new EpochContext(0, 0, data, Rgb, CPU, 1, 0, 1));
        long BinOfColour(float r, float g, float b) =>
            method.Bins.Quantise(CieLab.RgbToLab(Pixels(r, g, b)).narrow(1, 1, 2))[0, 0, 0].item<long>();
        Assert.Equal(2 * 16f, method.BinCounts[BinOfColour(1, 0, 0)].item<float>());
        Assert.Equal(2 * 16f, method.BinCounts[BinOfColour(0, 0, 1)].item<float>());
        Assert.Equal(4 * 16f, method.BinCounts.sum().item<float>());
    }

    [Fact]
    public void PretextScore_CountsEveryLossGridPixel_AndPicturesKeepTheImagesShape()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions());
        method.train();
        var x = randn(3, 3, 8, 8, generator: new Generator(3));
        var (correct, total) = method.PretextScore(x, new Generator(1));
        Assert.Equal(3 * 2 * 2, total); // every 4th pixel of 8: rows and columns 0 and 4
        Assert.InRange(correct, 0, total);
        Assert.True(method.training);
        var columns = method.ReconstructionColumns(x, new Generator(1));
        Assert.Equal(3, columns.Length);
        Assert.All(columns, c => Assert.Equal(x.shape, c.shape));
        // The gray column has a = b = 0.
        var ab = CieLab.RgbToLab(Rgb.Denormalize(columns[0])).narrow(1, 1, 2);
        Assert.True(ab.abs().max().item<float>() < 0.05);
    }

    [Fact]
    public void Loss_IsTakenAtEvery4thPixel_AgainstTheLogitsUpsampledToThatGrid()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions());
        method.BinCounts.copy_(arange(261, ScalarType.Float32).add_(1)); // unequal weights, so each target's weight counts
        method.SetWeights();
        method.eval(); // BatchNorm on running statistics, so the step and the hand computation see the same network
        var x = randn(2, 3, 8, 8, generator: new Generator(5));
        var loss = method.Step(x).Loss.item<float>();

        var lab = LightnessEncoder.Lab(x, Rgb);
        var (output, _) = method.Predict(lab);
        Assert.Equal([2L, 261, 2, 2], output.shape);
        using var at = tensor(new long[] { 0, 4 });
        var target = method.Bins.Quantise(lab.narrow(1, 1, 2).index_select(2, at).index_select(3, at)); // [2, 2, 2]
        var ce = -output.log_softmax(1).gather(1, target.unsqueeze(1)).squeeze(1);                      // [2, 2, 2]
        var expected = (ce * method.ClassWeights.index([target])).mean().item<float>();
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void LossStride1_PredictsEveryPixel_AndZeroIsRefused()
    {
        using var scope = NewDisposeScope();
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions { LossStride = 1 });
        method.eval();
        var (output, _) = method.Predict(LightnessEncoder.Lab(randn(1, 3, 8, 8, generator: new Generator(6)), Rgb));
        Assert.Equal([1L, 261, 8, 8], output.shape);
        var e = Assert.Throws<ArgumentException>(() => new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions { LossStride = 0 }));
        Assert.Contains("colorization.loss_stride", e.Message);
    }

    [Fact]
    public void Regression_PredictsTwoChannels_AndItsGradientReachesTheEncoder()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new Colorization(new TinyEncoder(channels: 1), 8, Rgb, new ColorizationOptions { Loss = ColorizationLoss.Regression });
        method.train();
        var result = method.Step(randn(2, 3, 8, 8, generator: new Generator(4)));
        result.Loss.backward();
        Assert.True(method.Encoder.parameters().All(p => p.grad is { } g && g.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void TokenEncoders_AreRefusedWithAMessageNamingTheFeatureMap()
    {
        using var vit = SelfSup.Encoders.EncoderRegistry.Create("vit-tiny/p2/d1", new SelfSup.Encoders.EncoderOptions(1, 8, 16));
        var e = Assert.Throws<ArgumentException>(() => new Colorization(vit, 8, Rgb, new ColorizationOptions()));
        Assert.Contains("feature map", e.Message);
    }
}
