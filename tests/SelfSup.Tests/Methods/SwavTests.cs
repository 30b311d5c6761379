using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;
using Fixture = SelfSup.Tests.Losses.SinkhornTests;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class SwavTests
{
    static readonly SwavOptions Small = new() { ProjectionHiddenDim = 16, ProjectionDim = 8, Prototypes = 6, LocalCrops = 2, QueueLength = 0 };

    static Swav Make(SwavOptions? options = null)
    {
        manual_seed(0);
        return new Swav(new TinyEncoder(channels: 1, width: 8), options ?? Small);
    }

    /// <summary>Two 8-px global crops and two 4-px local crops of 3 images.</summary>
    static Tensor[] Views(int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return [randn(3, 1, 8, 8, generator: g), randn(3, 1, 8, 8, generator: g), randn(3, 1, 4, 4, generator: g), randn(3, 1, 4, 4, generator: g)];
    }

    static StepContext At(int epoch, int epochs = 10, int stepsPerEpoch = 5) =>
        new((long)epoch * stepsPerEpoch, (long)epochs * stepsPerEpoch, epoch, stepsPerEpoch, SingleProcess.Instance);

    /// <summary>A SwAV whose prototypes are the fixture's (K = 3, D = 5).</summary>
    static Swav WithReferencePrototypes()
    {
        var swav = Make(new SwavOptions { ProjectionHiddenDim = 4, ProjectionDim = 5, Prototypes = 3, QueueLength = 0 });
        using var c = Fixture.Array("prototypes");
        using (no_grad()) swav.Prototypes.weight!.copy_(c);
        return swav;
    }

    static Tensor[] Arrays(string key) => Fixture.Reference.GetProperty(key).EnumerateArray().Select(Fixture.Array).ToArray();

    /// <summary>‖row‖₂ of each row of [K, P]: [K].</summary>
    static Tensor RowNorms(Tensor w) => w.detach().pow(2).sum(1L).sqrt();

    static double Number(string key) => Fixture.Reference.GetProperty(key).GetDouble();

    [Fact]
    public void SwappedPrediction_OverTwoGlobalAndOneLocalCrop_MatchesTheReference()
    {
        using var swav = WithReferencePrototypes();
        Assert.Equal(Number("temperature"), swav.Options.Temperature);
        var (loss, codes) = swav.SwappedPrediction(Arrays("embeddings"));
        Assert.Equal(Number("loss"), loss.item<float>(), 1e-5);
        var expected = Arrays("loss_codes");
        for (int i = 0; i < 2; i++)
            Assert.True(codes[i].allclose(expected[i], rtol: 0, atol: 1e-5), $"codes of crop {i}");
    }

    [Fact]
    public void SwappedPrediction_WithAQueue_SolvesSinkhornOverQueueAndBatch_AndKeepsTheBatchCodes()
    {
        using var swav = WithReferencePrototypes();
        var (loss, codes) = swav.SwappedPrediction(Arrays("embeddings"), Arrays("queue"));
        Assert.Equal(Number("queue_loss"), loss.item<float>(), 1e-5);
        var expected = Arrays("queue_codes");
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(new long[] { 4, 3 }, codes[i].shape);
            Assert.True(codes[i].allclose(expected[i], rtol: 0, atol: 1e-5), $"codes of crop {i} with the queue");
        }
        Assert.True(Math.Abs(Number("queue_loss") - Number("loss")) > 0.1, "the queue changes the codes");
    }

    [Fact]
    public void Gradient_ReachesEncoderProjectorAndPrototypes_ButNotThroughTheCodes()
    {
        using var swav = Make();
        var result = swav.Step(Views());
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        result.Loss.backward();
        foreach (var (name, p) in swav.Encoder.named_parameters().Concat(swav.Projector.named_parameters()).Concat(swav.Prototypes.named_parameters()))
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        foreach (var key in new[] { "embedding_std", "code_entropy", "code_mean_entropy", "queue_used" })
            Assert.True(result.Scalars.ContainsKey(key), key);
        Assert.InRange(result.Scalars["code_mean_entropy"].item<float>(), 0.9 * Math.Log(6), Math.Log(6) + 1e-4); // equal partition
    }

    [Fact]
    public void Prototypes_GetNoGradientInTheFirstEpoch_AndDoAfter()
    {
        using var swav = Make();
        swav.Step(Views()).Loss.backward();
        Assert.NotNull(swav.Prototypes.weight!.grad);
        swav.BeforeOptimizerStep(At(0));
        Assert.Null(swav.Prototypes.weight!.grad);
        Assert.NotNull(swav.Encoder.parameters().First().grad);

        swav.zero_grad();
        swav.Step(Views(2)).Loss.backward();
        swav.BeforeOptimizerStep(At(1));
        Assert.True(swav.Prototypes.weight!.grad is { } g && g.abs().sum().item<float>() > 0, "the prototypes train from epoch 1 on");
    }

    [Fact]
    public void PrototypeRows_AreUnit_BeforeEveryForwardAndAfterEveryStep()
    {
        using var swav = Make();
        var w = swav.Prototypes.weight!;
        Assert.True(RowNorms(w).allclose(ones(6), rtol: 0, atol: 1e-5), "unit rows from construction");
        using (no_grad()) w.mul_(3);
        var result = swav.Step(Views());
        Assert.True(RowNorms(w).allclose(ones(6), rtol: 0, atol: 1e-5), "the step rescales the rows before scoring");

        using var optimizer = new TrainingOptimizer(swav.parameters(), OptimizerKind.Sgd, 5.0, 0);
        result.Loss.backward();
        swav.BeforeOptimizerStep(At(1));
        using var before = w.detach().clone();
        optimizer.Step();
        Assert.False(RowNorms(w).allclose(ones(6), rtol: 0, atol: 1e-3), "a large SGD step leaves the rows off unit length");
        swav.AfterOptimizerStep(At(1));
        Assert.True(RowNorms(w).allclose(ones(6), rtol: 0, atol: 1e-5), "unit rows after the step");
        Assert.False(w.allclose(before, rtol: 0, atol: 1e-4), "the prototypes moved");
    }

    [Fact]
    public void Queue_FillsFromItsStartEpoch_AndJoinsSinkhornOnceFull()
    {
        using var swav = Make(Small with { QueueLength = 6, QueueStartEpoch = 1 });
        Assert.Equal(2, swav.Queues.Count);
        Assert.Equal(0f, swav.Step(Views()).Scalars["queue_used"].item<float>());
        Assert.Equal(0, swav.Queues[0].Count);                              // epoch 0: before the queue starts

        var used = new List<float>();
        for (int step = 0; step < 3; step++)
            used.Add(swav.TrainingStep(new TrainingBatch(Views(step + 2), arange(3L)), At(1)).Scalars["queue_used"].item<float>());
        Assert.Equal([0f, 0f, 1f], used);                                  // 3 + 3 rows fill it after two steps
        Assert.True(swav.Queues[1].IsFull);

        // The codes of a full queue's step are the batch's rows of Sinkhorn over queue + batch.
        using var noGrad = no_grad();
        var views = Views(9);
        swav.eval();
        var z = nn.functional.normalize(swav.Projector.forward(CropBatches.Encode(swav.Encoder, views)), dim: 1).chunk(views.Length);
        var (_, withQueue) = swav.SwappedPrediction(z, swav.Queues.Select(q => q.Features).ToArray());
        var (_, without) = swav.SwappedPrediction(z);
        Assert.False(withQueue[0].allclose(without[0], rtol: 0, atol: 1e-4), "the queue changes the batch's codes");
    }

    [Fact]
    public void NoQueue_WhenItsLengthIsZero()
    {
        using var swav = Make(Small with { QueueLength = 0, QueueStartEpoch = 0 });
        Assert.Empty(swav.Queues);
        Assert.Equal(0f, swav.TrainingStep(new TrainingBatch(Views(), arange(3L)), At(3)).Scalars["queue_used"].item<float>());
    }

    [Fact]
    public void OutputCollapse_IsReported_WhenEveryCodeIsUniform()
    {
        using var swav = Make();                                           // K = 6
        Assert.Contains("uniform", swav.OutputCollapse(new Dictionary<string, double> { ["code_entropy"] = Math.Log(6) }));
        Assert.Null(swav.OutputCollapse(new Dictionary<string, double> { ["code_entropy"] = 0.9 * Math.Log(6) }));
        Assert.Null(swav.OutputCollapse(new Dictionary<string, double>()));
    }

    [Fact]
    public void Views_AreTwoGlobalAndFourLocalCrops_WithSwavsScales()
    {
        var stats = new ChannelStats([0.5f], [0.25f]);
        using var encoder = new TinyEncoder(channels: 1, width: 8);
        var ctx = new MethodContext(encoder, () => new TinyEncoder(channels: 1, width: 8), 32, 1, stats, new Dictionary<string, string>());
        var views = (MultiCrop)Swav.Info.CreateViews(ctx);
        Assert.Equal(6, views.ViewCount);
        Assert.Equal(14, views.LocalSize);                                 // 96/224 of 32 px
        Assert.Equal((0.14, 1.0), (views.Options.GlobalScaleMin, views.Options.GlobalScaleMax));
        Assert.Equal((0.05, 0.14), (views.Options.LocalScaleMin, views.Options.LocalScaleMax));
    }

    [Fact]
    public void InvalidOptions_AreRejected_NamingTheField()
    {
        Assert.Contains("prototypes", Assert.Throws<ArgumentException>(() => Make(Small with { Prototypes = 1 })).Message);
        Assert.Contains("queue_length", Assert.Throws<ArgumentException>(() => Make(Small with { QueueLength = -1 })).Message);
        Assert.Contains("epsilon", Assert.Throws<ArgumentException>(() => Make(Small with { Epsilon = 0 })).Message);
    }

    [Fact]
    public void ShortTraining_OnRandomImages_KeepsTheLossFinite()
    {
        manual_seed(1);
        var stats = new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        Encoder Create() => EncoderRegistry.Create("resnet18", new EncoderOptions(3, 16, 4));
        var ctx = new MethodContext(Create(), Create, 16, 3, stats, new Dictionary<string, string>
        {
            ["prototypes"] = "8", ["local_crops"] = "2", ["queue_length"] = "16", ["queue_start_epoch"] = "0",
        });
        using var swav = (Swav)Swav.Info.Create(ctx);
        var recipe = Swav.Info.CreateViews(ctx);
        swav.train();
        using var optimizer = new TrainingOptimizer(swav.parameters(), OptimizerKind.Lars, 0.3, 1e-6);
        using var images = randint(0, 256, [8, 3, 16, 16], generator: new Generator(2)).to(ScalarType.Byte);
        var generator = new Generator(3);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var context = new StepContext(step, 4, step / 2, 2, SingleProcess.Instance);
            var views = recipe.Apply(images, generator);
            Assert.Equal(4, views.Length);
            var result = swav.TrainingStep(new TrainingBatch(views, arange(8L)), context);
            Assert.True(float.IsFinite(result.Loss.item<float>()), $"loss at step {step}");
            Assert.Equal(step >= 2 ? 1f : 0f, result.Scalars["queue_used"].item<float>());
            optimizer.ZeroGrad();
            result.Loss.backward();
            swav.BeforeOptimizerStep(context);
            optimizer.Step();
            swav.AfterOptimizerStep(context);
        }
    }
}
