using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

/// <summary>
/// The contract every registered method keeps, checked over <see cref="MethodRegistry.All"/> so a method is tested by
/// being registered: it builds on a tiny encoder, a step is finite and its gradient reaches the representation, a
/// checkpoint round trip gives identical representations, a resumed run repeats the uninterrupted one, and the
/// method has a recipe and a row in docs/methods.md.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class MethodContractTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-contract-").FullName;
    readonly ImageDataset data = SyntheticData.Random(48, channels: 1, size: 16);

    public void Dispose()
    {
        data.Dispose();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The image methods; text methods keep the same contract on token batches in <see cref="TextMethodContractTests"/>.</summary>
    public static TheoryData<string> Methods() => new(MethodRegistry.All.Where(m => !m.IsText).Select(m => m.Name));

    /// <summary>Every registered method, image or text.</summary>
    public static TheoryData<string> AllMethods() => new(MethodRegistry.All.Select(m => m.Name));

    /// <summary>The first tiny encoder the method accepts: a 1-block ViT (2×2 patches on 16 px, an 8×8 grid), else a small ConvNet.</summary>
    static readonly (string Encoder, int Width)[] TinyEncoders = [("vit-tiny/p2/d1", 16), ("convnet", 4)];

    /// <summary>
    /// Smaller heads for methods whose paper-sized heads (MAE's 512 × 8 decoder, I-JEPA's 384 × 12 predictor) would make
    /// each checkpoint of a 16-px test model about 100 MB; a method not listed trains with its own defaults.
    /// </summary>
    static readonly Dictionary<string, Dictionary<string, string>> SmallHeads = new()
    {
        ["mae"] = new() { ["decoder_dim"] = "16", ["decoder_depth"] = "1", ["decoder_heads"] = "2" },
        ["ijepa"] = new() { ["predictor_dim"] = "16", ["predictor_depth"] = "1", ["predictor_heads"] = "2" },
        // The default 100 clusters need more than the 48 test images.
        ["deepcluster"] = new() { ["clusters"] = "8" },
        // The default 128 components need more than the 48 test images.
        ["pca"] = new() { ["components"] = "16" },
    };

    RunConfig Config(string method, string encoder, int width, long? maxSteps = null) => new()
    {
        MethodOptions = SmallHeads.TryGetValue(method, out var small) ? new(small) : new(),
        Method = method, Data = "synthetic", Encoder = encoder, Width = width, ImageSize = 16, Channels = 1,
        Epochs = 2, BatchSize = 16, Optimizer = OptimizerKind.AdamW, LearningRate = 1e-3, WeightDecay = 0.01, Seed = 3,
        CheckpointEvery = 0, MonitorEvery = 2, MaxSteps = maxSteps, TrainImages = data.Count,
        NormalizeMean = [0.5f], NormalizeStd = [0.25f],
    };

    (RunConfig Config, SslMethod Method, IViewRecipe Views) Build(string name, long? maxSteps = null)
    {
        var errors = new List<string>();
        foreach (var (encoder, width) in TinyEncoders)
        {
            var config = Config(name, encoder, width, maxSteps);
            try
            {
                var (method, views) = Pretraining.BuildMethod(config);
                return (config, method, views);
            }
            catch (ArgumentException e)
            {
                errors.Add($"{encoder}: {e.Message}");
            }
        }
        throw new InvalidOperationException($"{name}: no tiny encoder fits ({string.Join("; ", errors)})");
    }

    /// <summary>What the Trainer does before an epoch's first step (DeepCluster clusters the dataset here).</summary>
    void StartEpoch(SslMethod method, RunConfig config) =>
        method.BeforeEpoch(new EpochContext(0, 0, data, new ChannelStats(config.NormalizeMean, config.NormalizeStd), CPU, config.Seed, 0, 1));

    [Theory]
    [MemberData(nameof(Methods))]
    public void OneStep_IsFinite_AndItsGradientReachesTheRepresentation(string name)
    {
        var (config, method, views) = Build(name);
        using var _m = method;
        if (method is ClosedFormMethod) return; // no gradient step: covered by the Trainer's closed-form test
        method.train();
        StartEpoch(method, config);
        using var images = data.Images.narrow(0, 0, 16);
        var v = views.ApplyWithTargets(images, new Generator(1));
        var batch = new TrainingBatch(v.Images, arange(16L), v.Targets, new Dictionary<string, Tensor>());
        var result = method.TrainingStep(batch, StepContext.Single());
        var loss = result.Loss.item<float>();
        Assert.True(float.IsFinite(loss), $"{name}: loss {loss}");
        result.Loss.backward();
        var reached = method.Representation.parameters().Count(p => p.grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.True(reached > 0, $"{name}: no gradient reached the representation");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void CheckpointRoundTrip_GivesIdenticalRepresentations(string name)
    {
        var (config, method, views) = Build(name);
        using var _m = method;
        var path = Path.Combine(root, $"{name}.ckpt");
        method.train();
        // Change the weights first so the comparison is not between two fresh initialisations of one seed.
        if (method is ClosedFormMethod closedForm)
            using (no_grad()) closedForm.Fit(new EpochContext(0, 0, data, new ChannelStats(config.NormalizeMean, config.NormalizeStd), CPU, config.Seed, 0, 1));
        else
        {
            StartEpoch(method, config);
            using var images = data.Images.narrow(0, 0, 16);
            var result = method.Step(views.Apply(images, new Generator(2)));
            result.Loss.backward();
            using var noGrad = no_grad();
            foreach (var p in method.parameters()) if (p.grad is { } g) p.sub_(g.sign() * 0.01);
        }
        Checkpoint.Save(path, method, optimizer: null, new CheckpointState { Step = 1, TotalSteps = 2, Config = config });
        using var loaded = TrainedEncoder.Load(path);
        method.eval();
        loaded.Encoder.eval();
        using var x = randn(4, 1, 16, 16, generator: new Generator(5));
        using var expected = method.Representation.forward(x);
        using var actual = loaded.Encoder.forward(x);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
        using var twin = loaded.RandomInitTwin();
        using var fresh = twin.forward(x);
        Assert.True((fresh - actual).abs().max().item<float>() > 0, $"{name}: the random-init twin equals the trained representation");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Resume_AfterOneStep_RepeatsTheUninterruptedLosses(string name)
    {
        var whole = Losses(name, Path.Combine(root, $"{name}-whole"), maxSteps: null, resume: false);
        var part = Path.Combine(root, $"{name}-part");
        Losses(name, part, maxSteps: 1, resume: false);
        var resumed = Losses(name, part, maxSteps: null, resume: true);
        Assert.Equal(whole.Keys.Order(), resumed.Keys.Order());
        foreach (var (step, loss) in whole) Assert.Equal(loss, resumed[step], 5);
    }

    Dictionary<long, double> Losses(string name, string runDir, long? maxSteps, bool resume)
    {
        var (config, method, views) = Build(name, maxSteps);
        using var _m = method;
        var trainer = new Trainer(method, views, new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
        trainer.Fit(resume);
        return TrainerTests.StepLosses(trainer.MetricsPath);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void EveryMethod_HasARecipe_AndARowInTheMethodsTable(string name)
    {
        var info = MethodRegistry.Get(name);
        Assert.False(string.IsNullOrWhiteSpace(info.Recipe.Source), $"{name}: the recipe names no source");
        Assert.True(info.Recipe.LearningRate(256) > 0, $"{name}: the recipe's learning rate is not positive");
        Assert.NotEmpty(OptionDocs.Describe(info.DefaultOptions));
        var methodsDoc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "methods.md"));
        Assert.Contains($"| [{name}](#{name}) |", methodsDoc, StringComparison.Ordinal);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SelfSup.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("SelfSup.slnx not found above the test's base directory");
    }
}
