using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public sealed class DeepClusterTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-deepcluster-").FullName;
    readonly ImageDataset data = SyntheticData.Random(48, channels: 1, size: 8, seed: 4);
    static readonly ChannelStats Stats = new([0.5f], [0.25f]);

    public DeepClusterTests() => TorchRuntime.Initialize();

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static DeepCluster Create(int clusters, int trainImages = 48, int mlpLayers = 0)
    {
        manual_seed(1);
        return new DeepCluster(new TinyEncoder(channels: 1, width: 6), new DeepClusterOptions { Clusters = clusters, PcaDim = 4, MlpLayers = mlpLayers }, trainImages);
    }

    EpochContext Epoch(int epoch, int startBatch = 0) => new(epoch, startBatch, data, Stats, CPU, Seed: 3, Step: 0, TotalSteps: 1);

    TrainingBatch Batch(long start, long count)
    {
        var views = MaeViews.ForImages(8, Stats).Apply(data.Range(start, count), new Generator(9));
        return new TrainingBatch(views, arange(start, start + count, 1L, ScalarType.Int64));
    }

    [Fact]
    public void BeforeEpoch_AssignsEveryRow_AndLeavesNoClusterEmpty()
    {
        // 24 clusters of 48 random images: k-means alone leaves some empty; the split fills them.
        using var method = Create(24);
        method.BeforeEpoch(Epoch(0));
        var labels = method.Assignments;
        Assert.Equal(48, labels.Length);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)i), labels.Distinct().Order());
        Assert.Equal(0, method.ClusteredEpoch);
    }

    [Fact]
    public void BeforeEpoch_SizesTheLabels_WhenBuiltWithoutTheDatasetSize()
    {
        using var method = Create(5, trainImages: 0);
        method.BeforeEpoch(Epoch(0));
        Assert.Equal(48, method.Assignments.Length);
        Assert.Equal(5, method.Assignments.Distinct().Count());
    }

    [Fact]
    public void Classifier_IsReinitialisedAfterEveryClustering_ButNotOnAMidEpochResume()
    {
        using var method = Create(6);
        method.BeforeEpoch(Epoch(0));
        using var first = method.Classifier.weight!.detach().clone();
        using (no_grad())
        {
            method.Classifier.weight!.fill_(1);
            method.Classifier.bias!.fill_(1);
        }
        // The same epoch again (a run resumed mid-epoch): its labels and trained classifier stay.
        method.BeforeEpoch(Epoch(0, startBatch: 2));
        Assert.Equal(1f, method.Classifier.weight!.min().item<float>());

        method.BeforeEpoch(Epoch(1));
        var w = method.Classifier.weight!;
        Assert.Equal(0f, method.Classifier.bias!.abs().max().item<float>());
        Assert.InRange(w.std().item<float>(), 0.007f, 0.013f); // N(0, 0.01²) over 6 × 6 weights
        Assert.True((w - first).abs().max().item<float>() > 0, "each epoch draws a new classifier");
        Assert.Equal(1, method.ClusteredEpoch);
    }

    [Fact]
    public void FirstStep_CostsLnK_AndItsGradientReachesTheEncoder()
    {
        // A fresh classifier (weights ~0.01) gives nearly uniform logits: the cross-entropy is ≈ ln K.
        using var method = Create(8, mlpLayers: 1);
        method.BeforeEpoch(Epoch(0));
        method.train();
        var result = method.TrainingStep(Batch(0, 16), StepContext.Single());
        Assert.Equal(Math.Log(8), result.Loss.item<float>(), 1);
        result.Loss.backward();
        Assert.True(method.Encoder.parameters().All(p => p.grad is { } g && g.abs().sum().item<float>() > 0));
        Assert.Contains(method.Mlp!.parameters(), p => p.grad is { } g && g.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void BalancedLoss_OnTheWholeDataset_IsTheMeanOverClustersOfEachClustersMeanLoss()
    {
        // What the official sampler optimises (every cluster drawn equally often), computed by hand per image.
        using var method = Create(5);
        method.BeforeEpoch(Epoch(0));
        using (no_grad()) method.Classifier.weight!.normal_(0, 1, generator: new Generator(2)); // unequal losses
        method.eval();
        var batch = Batch(0, 48);
        using var loss = method.TrainingStep(batch, StepContext.Single()).Loss;
        using var logits = method.Classifier.forward(method.Encoder.forward(batch.Views[0])); // [48, 5]
        var labels = method.Assignments;
        using var perImage = nn.functional.cross_entropy(logits, tensor(labels), reduction: nn.Reduction.None); // [48]
        var l = perImage.data<float>().ToArray();
        var expected = Enumerable.Range(0, 5).Average(c => Enumerable.Range(0, 48).Where(i => labels[i] == c).Average(i => (double)l[i]));
        var plain = l.Average(v => (double)v);
        Assert.Equal(expected, loss.item<float>(), 4);
        Assert.True(Math.Abs(expected - plain) > 1e-3, "unequal clusters make the balanced loss differ from the plain mean");
    }

    [Fact]
    public void Nmi_AgainstThePreviousClustering_IsLoggedFromTheSecondEpochOn()
    {
        using var method = Create(6);
        method.BeforeEpoch(Epoch(0));
        var first = method.TrainingStep(Batch(0, 16), StepContext.Single());
        Assert.False(first.Scalars.ContainsKey("nmi_previous"));
        Assert.True(first.Scalars.ContainsKey("clustering_loss"));
        var previous = method.Assignments;
        method.BeforeEpoch(Epoch(1));
        var nmi = ClusteringMetrics.Nmi(previous, method.Assignments);
        Assert.InRange(nmi, 0.0, 1.0);
        Assert.Equal(nmi, method.NmiPrevious, 12);
        var second = method.TrainingStep(Batch(0, 16), StepContext.Single());
        Assert.Equal((float)nmi, second.Scalars["nmi_previous"].item<float>(), 5);
    }

    [Fact]
    public void Step_WithoutAClustering_ExplainsWhatIsMissing()
    {
        using var method = Create(4);
        var error = Assert.Throws<InvalidOperationException>(() => method.TrainingStep(Batch(0, 8), StepContext.Single()));
        Assert.Contains("BeforeEpoch", error.Message);
    }

    [Fact]
    public void MoreClustersThanImages_IsRejected_NamingTheField()
    {
        using var method = Create(49);
        Assert.Contains("clusters", Assert.Throws<ArgumentException>(() => method.BeforeEpoch(Epoch(0))).Message);
    }

    RunConfig Config(long? maxSteps) => new()
    {
        Method = "deepcluster", Data = "synthetic", Encoder = "convnet", Width = 4, ImageSize = 8, Channels = 1,
        Epochs = 2, BatchSize = 16, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, WeightDecay = 1e-5, Seed = 5,
        CheckpointEvery = 0, MonitorEvery = 0, MaxSteps = maxSteps, TrainImages = data.Count,
        NormalizeMean = [0.5f], NormalizeStd = [0.25f],
        MethodOptions = new() { ["clusters"] = "6", ["pca_dim"] = "8" },
    };

    (Dictionary<long, double> Losses, long[] Assignments, string Metrics) Run(string dir, long? maxSteps, bool resume)
    {
        var config = Config(maxSteps);
        var (method, views) = Pretraining.BuildMethod(config);
        using var _m = method;
        var trainer = new Trainer(method, views, new DataLoader(data, config.BatchSize, (int)config.Seed), config, dir);
        trainer.Fit(resume);
        Assert.Equal(1, ((DeepCluster)method).ClusteredEpoch);
        return (TrainerTests.StepLosses(trainer.MetricsPath), ((DeepCluster)method).Assignments, trainer.MetricsPath);
    }

    [Fact]
    public void Resume_InsideTheSecondEpoch_KeepsItsAssignments_AndRepeatsTheUninterruptedLosses()
    {
        // 48 images, batches of 16: 3 steps per epoch; stop after step 4, the first of epoch 2, and resume.
        var whole = Run(Path.Combine(root, "whole"), maxSteps: null, resume: false);
        var part = Path.Combine(root, "part");
        Run(part, maxSteps: 4, resume: false);
        var resumed = Run(part, maxSteps: null, resume: true);
        Assert.Equal(whole.Assignments, resumed.Assignments);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), resumed.Losses.Keys.Order());
        foreach (var (step, loss) in whole.Losses) Assert.Equal(loss, resumed.Losses[step], 5);
        // The second epoch's steps log the NMI against the first epoch's clustering.
        var nmi = File.ReadLines(resumed.Metrics).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("nmi_previous", out _)).Select(e => e.GetProperty("step").GetInt64()).ToArray();
        Assert.Equal(new long[] { 4, 5, 6 }, nmi);
    }
}
