using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Numerics;
using SelfSup.Runs;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public sealed class PcaTests : IDisposable
{
    const int Size = 8;
    readonly string root = Directory.CreateTempSubdirectory("selfsup-pca-").FullName;
    readonly ImageDataset data = Structured(60);
    static readonly ChannelStats Stats = new([0.5f], [0.25f]);

    public PcaTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// Grey 8×8 images that vary mostly along two patterns (a left/right split with amplitude 40, a top/bottom split
    /// with amplitude 20) plus pixel noise of ±4, so two components explain most of the variance.
    /// </summary>
    static ImageDataset Structured(int n)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(12);
        var columns = arange(Size).ge(Size / 2).to(ScalarType.Float32) * 2 - 1;              // [W], ±1
        var leftRight = columns.view(1, Size).expand(Size, Size);                           // [H, W]
        var topBottom = leftRight.t();                                                      // [H, W]
        var a = randn([n, 1, 1, 1], generator: g);
        var b = randn([n, 1, 1, 1], generator: g);
        var noise = rand([n, 1, Size, Size], generator: g) * 8 - 4;
        var images = (128 + 40 * a * leftRight + 20 * b * topBottom + noise).round().clamp(0, 255).to(ScalarType.Byte); // [n, 1, H, W]
        return new ImageDataset("structured", images.MoveToOuterDisposeScope(), null);
    }

    static Pca Create(int components, bool whiten = false, SvdSolver svd = SvdSolver.Auto, int fitSamples = 0)
    {
        manual_seed(1);
        return new Pca(1, Size, new PcaOptions { Components = components, Whiten = whiten, Svd = svd, FitSamples = fitSamples });
    }

    EpochContext Context(long seed = 3) => new(0, 0, data, Stats, CPU, seed, 0, 1);

    Tensor Embed(Encoder encoder) => Features.Extract(encoder, data, Stats, CPU); // [N, k]

    [Fact]
    public void Fit_GivesTheExactPcaOfTheNormalisedPixels_AndItsExplainedVariance()
    {
        using var pca = Create(4);
        using (no_grad()) pca.Fit(Context());
        using var z = Embed(pca.Representation);
        using var pixels = Features.RawPixels(data, Stats);                          // [N, 64], computed independently
        using var expected = PcaProjection.Project(pixels, 4).to(ScalarType.Float32); // [N, 4]
        Assert.Equal(new long[] { 60, 4 }, z.shape);
        Assert.True((z - expected).abs().max().item<float>() < 1e-3, "embeddings differ from the projection on the exact principal axes");
        // Variances are the embeddings' mean squares; the two patterns carry almost all of it.
        using var meanSquares = z.to(ScalarType.Float64).square().mean([0]);
        Assert.True((meanSquares - pca.Variances).abs().max().item<double>() < 1e-3 * pca.Variances.max().item<double>());
        var ratios = pca.ExplainedVarianceRatio();
        Assert.True(ratios[0] > ratios[1] && ratios[1] > ratios[2] && ratios[2] >= ratios[3]);
        Assert.True(ratios[0] + ratios[1] > 0.9, $"two patterns explain {ratios[0] + ratios[1]:P1}");
        using var total = pixels.to(ScalarType.Float64).var([0], unbiased: false).sum();
        Assert.Equal(total.item<double>(), pca.TotalVariance, 3);
    }

    [Fact]
    public void Whitening_GivesUnitVariancePerComponent_OnTheFitData()
    {
        using var pca = Create(2, whiten: true);
        using (no_grad()) pca.Fit(Context());
        using var z = Embed(pca.Representation).to(ScalarType.Float64); // [N, 2], centred by the fitted mean
        using var cov = z.t().matmul(z) / z.shape[0];                   // [2, 2]
        Assert.True((cov - eye(2, dtype: ScalarType.Float64)).abs().max().item<double>() < 1e-4,
            $"covariance of whitened embeddings: {string.Join(", ", cov.data<double>().ToArray())}");
    }

    [Fact]
    public void Whitening_FloorsTinyVariances_AtAMillionthOfTheLargest()
    {
        // Components 3 and 4 are pixel noise, thousands of times weaker than the first pattern: each variance becomes
        // λ / (λ + 1e-6·λ₁), a little below 1, instead of amplifying noise without bound.
        using var pca = Create(4, whiten: true);
        using (no_grad()) pca.Fit(Context());
        using var z = Embed(pca.Representation).to(ScalarType.Float64); // [N, 4]
        var variances = z.square().mean([0]).data<double>().ToArray();
        var lambda = pca.Variances.data<double>().ToArray();
        var expected = lambda.Select(l => l / (l + 1e-6 * lambda[0])).ToArray();
        Assert.True(expected[3] < 0.999, $"the test needs a weak component, got λ₄/λ₁ = {lambda[3] / lambda[0]:G3}");
        Assert.Equal(expected, variances, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void RandomizedSolver_AgreesWithTheExactOne_OnTheLeadingComponents()
    {
        using var exact = Create(2, svd: SvdSolver.Exact);
        using var randomized = Create(2, svd: SvdSolver.Randomized);
        using (no_grad())
        {
            exact.Fit(Context());
            randomized.Fit(Context());
        }
        using var a = Embed(exact.Representation);
        using var b = Embed(randomized.Representation);
        Assert.True((a - b).abs().max().item<float>() < 1e-3 * a.abs().max().item<float>());
    }

    [Fact]
    public void Trainer_FitsOnce_WritesTheFitsFiles_AndTheCheckpointGivesTheSameEmbeddings()
    {
        var config = new RunConfig
        {
            Method = "pca", Data = "structured", Encoder = "convnet", Width = 4, ImageSize = Size, Channels = 1,
            Epochs = 1, BatchSize = 16, Seed = 3, CheckpointEvery = 0, MonitorEvery = 0, TrainImages = data.Count,
            NormalizeMean = Stats.Mean, NormalizeStd = Stats.Std, MethodOptions = new() { ["components"] = "6" },
        };
        var (method, views) = Pretraining.BuildMethod(config);
        using var _m = method;
        var dir = Path.Combine(root, "run");
        var trainer = new Trainer(method, views, new DataLoader(data, config.BatchSize, 1), config, dir);
        var summary = trainer.Fit();
        Assert.Equal(summary.TotalSteps, summary.StepsDone);

        var record = JsonDocument.Parse(File.ReadLines(trainer.MetricsPath).Single()).RootElement;
        var std = record.GetProperty("embedding_std").GetDouble();
        Assert.InRange(std, 1e-3, 1);
        Assert.Equal(60, record.GetProperty("fit_samples").GetDouble());
        var pca = (Pca)method;
        Assert.Equal(pca.ExplainedVarianceRatio().Sum(), record.GetProperty("explained_variance").GetDouble(), 9);
        var table = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Pca.VarianceFile))).RootElement;
        Assert.Equal(6, table.GetProperty("explained_variance_ratio").GetArrayLength());
        Assert.Equal("exact", table.GetProperty("svd").GetString());
        foreach (var picture in new[] { Pca.VariancePicture, Pca.ComponentsPicture })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(dir, picture)).Take(4));

        using var loaded = TrainedEncoder.Load(summary.LastCheckpoint!);
        using var before = Embed(method.Representation);
        using var after = Embed(loaded.Encoder);
        Assert.Equal(0f, (before - after).abs().max().item<float>());
        Assert.Equal(pca.Variances.data<double>().ToArray(), ((Pca)loaded.Method).Variances.data<double>().ToArray());
    }

    [Fact]
    public void RandomInitTwin_IsARandomOrthonormalProjection_OfTheSameDimension()
    {
        using var pca = Create(5);
        using (no_grad()) pca.Fit(Context());
        var twinMethod = Create(5);
        using var _t = twinMethod;
        var twin = twinMethod.Projection;
        Assert.Equal(pca.Representation.EmbeddingDim, twin.EmbeddingDim);
        using var gram = twin.Components.matmul(twin.Components.t()); // [5, 5]
        Assert.True((gram - eye(5)).abs().max().item<float>() < 1e-5, "the twin's directions are not orthonormal");
        Assert.Equal(0f, twin.Mean.abs().max().item<float>());
        Assert.Equal(1f, twin.Scale.min().item<float>());
        // Random directions catch a far smaller share of the variance than the principal axes.
        using var zTwin = Embed(twin);
        using var zPca = Embed(pca.Representation);
        using var centred = zTwin - zTwin.mean([0]);
        Assert.True(centred.square().sum().item<float>() < 0.5f * zPca.square().sum().item<float>());
    }

    [Fact]
    public void FitSamples_FitsOnASeededSample_AndMoreComponentsThanItsImages_IsAnErrorNamingBoth()
    {
        using var first = Create(4, fitSamples: 20);
        using var again = Create(4, fitSamples: 20);
        using var other = Create(4, fitSamples: 20);
        using var all = Create(4);
        using (no_grad())
        {
            first.Fit(Context(seed: 3));
            again.Fit(Context(seed: 3));
            other.Fit(Context(seed: 4));
            all.Fit(Context(seed: 3));
        }
        Assert.Equal(0f, (first.Projection.Components - again.Projection.Components).abs().max().item<float>());
        Assert.True((first.Projection.Mean - other.Projection.Mean).abs().max().item<float>() > 0, "another seed draws another sample");
        Assert.True((first.Projection.Mean - all.Projection.Mean).abs().max().item<float>() > 0, "the sample is not the whole dataset");
        Assert.Equal(20.0, first.AfterFit(Path.Combine(root, "sample"))["fit_samples"]);

        using var tooMany = Create(21, fitSamples: 20);
        var error = Assert.Throws<ArgumentException>(() => tooMany.Fit(Context()));
        Assert.Contains("components (21)", error.Message);
        Assert.Contains("fit_samples", error.Message);
    }

    [Fact]
    public void ComponentsAbovePixelCount_OrNegativeFitSamples_AreRejectedAtConstruction()
    {
        Assert.Contains("components must be in [1, 64]", Assert.Throws<ArgumentException>(() => Create(65)).Message);
        Assert.Contains("fit_samples", Assert.Throws<ArgumentException>(() => Create(4, fitSamples: -1)).Message);
        using var full = Create(64); // k = D is allowed: PCA at any dimension up to min(N, D)
        Assert.Equal(64, full.Representation.EmbeddingDim);
    }
}
