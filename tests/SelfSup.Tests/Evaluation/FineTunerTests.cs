using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

[Collection(GlobalRngCollection.Name)]
public class FineTunerTests
{
    public FineTunerTests() => TorchRuntime.Initialize();

    static Encoder Build(long seed)
    {
        manual_seed(seed);
        return EncoderRegistry.Create("convnet", new EncoderOptions(3, 8, Width: 4));
    }

    static readonly ChannelStats Stats = new([0.4f, 0.4f, 0.4f], [0.25f, 0.25f, 0.25f]);

    static FineTuneOptions Quick => new()
    {
        Epochs = 2,
        MinSteps = 4,
        BatchSize = 16,
        LearningRate = 1e-2,
        ValidationFraction = 0,
        Patience = null,
        Seed = 3,
    };

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static Dictionary<string, Tensor> Copy(nn.Module m) => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void PartialFineTuning_LeavesFrozenStagesBitIdentical_AndChangesTheOthers()
    {
        using var data = EvalData.ColourClasses(64, 4);
        using var pretrained = Build(1);
        var before = Copy(pretrained);
        using var model = FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick with { FrozenStages = 2 });
        var stages = FineTuneStages.Of(model.Encoder);
        foreach (var (name, value) in model.Encoder.state_dict())
        {
            var stage = FineTuneStages.IndexOf(stages, name);
            if (stage < 2) Assert.True(Same(value, before[name]), $"{name} (frozen stage {stages[stage].Name}) changed");
            else if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                Assert.False(Same(value, before[name]), $"{name} (stage {stages[stage].Name}) did not change");
        }
        foreach (var (name, p) in model.Encoder.named_parameters())
            Assert.Equal(FineTuneStages.IndexOf(stages, name) >= 2, p.requires_grad);
    }

    [Fact]
    public void ThePretrainedEncoderPassedIn_IsUntouched()
    {
        using var data = EvalData.ColourClasses(64, 4);
        using var pretrained = Build(1);
        pretrained.eval();
        var before = Copy(pretrained);
        using var model = FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick);
        foreach (var (name, value) in pretrained.state_dict())
            Assert.True(Same(value, before[name]), $"pretrained {name} changed");
        Assert.False(pretrained.training);
        Assert.NotSame(pretrained, model.Encoder);
    }

    [Fact]
    public void FineTuning_StartsFromThePretrainedWeights_NotTheFactorysInit()
    {
        using var data = EvalData.ColourClasses(64, 4);
        using var pretrained = Build(1);
        using var fresh = Build(2);
        // Every stage frozen: the backbone keeps the weights it started from.
        using var model = FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick with { FrozenStages = 5 });
        foreach (var (name, value) in model.Encoder.named_parameters())
        {
            Assert.True(Same(value, pretrained.state_dict()[name]), name);
            if (value.dim() > 1) Assert.False(Same(value, fresh.state_dict()[name]), name); // norms start at 1 and 0 in both
        }
    }

    [Fact]
    public void TheSameSeed_GivesTheSameModel()
    {
        using var data = EvalData.ColourClasses(64, 4);
        using var pretrained = Build(1);
        using var a = FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick with { Optimizer = OptimizerKind.Sgd });
        using var b = FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick with { Optimizer = OptimizerKind.Sgd });
        Assert.True(Same(a.Head.weight!, b.Head.weight!));
        Assert.Equal(a.History.Select(h => h.TrainLoss), b.History.Select(h => h.TrainLoss));
    }

    [Fact]
    public void EarlyStopping_KeepsTheWeightsOfTheBestValidationEpoch()
    {
        using var data = EvalData.ColourClasses(80, 4);
        using var pretrained = Build(1);
        var options = Quick with { Epochs = 8, MinSteps = 0, ValidationFraction = 0.25, Patience = 3, LearningRate = 0.05 };
        using var model = FineTuner.Fit(() => Build(2), pretrained, data, Stats, options);
        Assert.Equal(20, model.ValidationImages);
        Assert.Equal(60, model.TrainImages);
        var best = model.History.Select((h, i) => (h.ValTop1!.Value, -h.ValLoss!.Value, i)).Max().i;
        Assert.Equal(best, model.BestEpoch);
        // The restored model scores exactly what the best epoch scored on the same validation rows.
        var (_, valRows) = FineTuner.SplitValidation(data.Labels!, 0.25, options.Seed);
        using var val = data.Subset(valRows);
        var (top1, loss) = model.Score(val, Stats);
        Assert.Equal(model.History[best].ValTop1!.Value, top1, 6);
        Assert.Equal(model.History[best].ValLoss!.Value, loss, 4);
    }

    [Fact]
    public void EarlyStopping_NeitherEndsTrainingNorKeepsWeightsBeforeMinSteps()
    {
        // 60 training images in batches of 16: 4 steps per epoch, so 40 steps take 10 epochs and the run is exactly
        // that long. A vanishing rate never improves validation, so patience 1 alone would stop after the second
        // epoch, and ties on top-1 (then the lower loss) would keep an early epoch; only the last is past MinSteps.
        using var data = EvalData.ColourClasses(80, 4);
        var options = Quick with { Epochs = 2, MinSteps = 40, ValidationFraction = 0.25, Patience = 1, LearningRate = 1e-9 };
        using var model = FineTuner.Fit(() => Build(2), null, data, Stats, options);
        Assert.Equal(10, model.History.Count);
        Assert.Equal(9, model.BestEpoch);
    }

    [Fact]
    public void ValidationSplit_TakesTheFloorOfTheFractionFromEveryClass()
    {
        long[] labels = [0, 0, 0, 0, 0, 1, 1, 1, 2];
        var (train, val) = FineTuner.SplitValidation(labels, 0.4, seed: 5);
        Assert.Equal(2, val.Count(i => labels[i] == 0)); // ⌊0.4 × 5⌋
        Assert.Equal(1, val.Count(i => labels[i] == 1)); // ⌊0.4 × 3⌋
        Assert.Equal(0, val.Count(i => labels[i] == 2)); // ⌊0.4 × 1⌋
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), train.Concat(val).Order());
    }

    [Fact]
    public void FreezingMoreStagesThanTheEncoderHas_NamesItsStages()
    {
        using var data = EvalData.ColourClasses(32, 4);
        using var pretrained = Build(1);
        var e = Assert.Throws<ArgumentException>(() => FineTuner.Fit(() => Build(2), pretrained, data, Stats, Quick with { FrozenStages = 6 }));
        Assert.Contains("5 stages (block1, block2, block3, block4, block5), cannot freeze 6", e.Message);
    }

    [Fact]
    public void ADatasetWithoutLabels_IsRefused()
    {
        using var data = EvalData.ColourClasses(32, 4);
        using var unlabeled = new ImageDataset("unlabeled", data.Images.clone(), null);
        var e = Assert.Throws<ArgumentException>(() => FineTuner.Fit(() => Build(2), null, unlabeled, Stats, Quick));
        Assert.Contains("dataset 'unlabeled' has no labels", e.Message);
    }

    [Fact]
    public void LarsIsRefused_ForFineTuning()
    {
        using var data = EvalData.ColourClasses(32, 4);
        var e = Assert.Throws<ArgumentException>(() => FineTuner.Fit(() => Build(2), null, data, Stats, Quick with { Optimizer = OptimizerKind.Lars }));
        Assert.Contains("optimizer must be adamw or sgd, got lars", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WithHeadFromProbe_TheHeadStartsAsTheLinearProbeOnFrozenFeatures(bool fromProbe)
    {
        using var data = EvalData.ColourClasses(64, 4);
        using var pretrained = Build(1);
        using var features = Features.Extract(pretrained, data, Stats, CPU);
        using var probe = LinearProbe.Fit(features, data.Labels!, data.NumClasses, new LinearProbeOptions());
        // Every stage frozen and a vanishing rate: the head stays where it started.
        using var model = FineTuner.Fit(() => Build(2), pretrained, data, Stats,
            Quick with { FrozenStages = 5, LearningRate = 1e-9, HeadFromProbe = fromProbe });
        using var weight = probe.Weight.t();
        var close = model.Head.weight!.allclose(weight, rtol: 1e-3, atol: 1e-5) && model.Head.bias!.allclose(probe.Bias, rtol: 1e-3, atol: 1e-5);
        Assert.Equal(fromProbe, close);
    }
}
