using SelfSup.Encoders;
using SelfSup.Evaluation;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

[Collection(GlobalRngCollection.Name)]
public class SupervisedBaselineTests(ITestOutputHelper output)
{
    [Fact]
    public void TheRate_DecaysTenfold_AtHalfAndThreeQuartersOfTheEpochs()
    {
        var o = new SupervisedOptions();
        Assert.Equal(new[] { 50, 75 }, o.MilestoneEpochs);
        Assert.Equal(1e-3, o.LearningRateAt(49), 12);
        Assert.Equal(1e-4, o.LearningRateAt(50), 12);
        Assert.Equal(1e-4, o.LearningRateAt(74), 12);
        Assert.Equal(1e-5, o.LearningRateAt(75), 12);
        Assert.Equal(new[] { 2, 3 }, (o with { Epochs = 5 }).MilestoneEpochs); // ⌊2.5⌋, ⌊3.75⌋
    }

    [Fact]
    public void MeanOneVsRestAuroc_IsTheBinaryAuroc_ForTwoClasses_AndTheMeanPerClass_ForMore()
    {
        using var two = tensor(new float[] { 0, 2, 0, -1, 0, 1, 0, 0.5f }, [4, 2]); // log-odds 2, −1, 1, 0.5
        long[] labels = [1, 0, 0, 1];
        // positives (2, 0.5) against negatives (−1, 1): 3 of 4 pairs ranked right.
        Assert.Equal(0.75, SupervisedBaseline.MeanOneVsRestAuroc(two, labels), 12);
        Assert.Equal(ClassifierScore.FromLogits(two, labels).Auroc!.Value, SupervisedBaseline.MeanOneVsRestAuroc(two, labels), 12);

        // Three classes, one image each, each logit row puts its own class first: every one-vs-rest AUROC is 1.
        using var three = tensor(new float[] { 3, 0, 0, 0, 3, 0, 0, 0, 3 }, [3, 3]);
        Assert.Equal(1.0, SupervisedBaseline.MeanOneVsRestAuroc(three, [0, 1, 2]), 12);
        // Labels rotated: a class's own image ties one other image for that class and loses to the third: (0 + ½) / 2 each.
        Assert.Equal(0.25, SupervisedBaseline.MeanOneVsRestAuroc(three, [1, 2, 0]), 12);
    }

    [Fact]
    public void TheKeptEpoch_IsTheArgmaxOfValidationAuc_AndItsWeightsAreTheOnesTested()
    {
        TorchRuntime.Initialize();
        using var train = EvalData.ColourClasses(48, 2, seed: 1);
        using var val = EvalData.RandomImages(24, classes: 2, seed: 2); // noise: validation AUC wanders from epoch to epoch
        var options = new SupervisedOptions { Epochs = 6, BatchSize = 16, LearningRate = 3e-3, Seed = 4 };
        // Validation and test are the same images: the tested weights must reproduce the kept epoch's validation AUC.
        var results = SupervisedBaseline.Run(() => EncoderRegistry.Create("convnet", new EncoderOptions(3, 8, Width: 4)), train, val, val, options);

        var aucs = results.History.Select(e => e.ValAuc).ToArray();
        output.WriteLine($"val AUC per epoch: {string.Join(", ", aucs.Select(a => a.ToString("F4")))}; kept {results.BestEpoch}");
        Assert.Equal(6, results.EpochsRun);
        Assert.Equal(aucs.Max(), aucs[results.BestEpoch]);
        Assert.All(results.History.Where(e => e.ValAuc == aucs.Max()), e => Assert.True(e.ValLoss >= results.History[results.BestEpoch].ValLoss));
        Assert.Equal(aucs[results.BestEpoch], results.BestValAuc);
        Assert.Equal(results.BestValAuc, results.TestAuc, 6);
        Assert.Equal(results.History[results.BestEpoch].ValAcc, results.TestAcc, 6);
        // 6 epochs: decays from epochs ⌊3⌋ and ⌊4.5⌋.
        Assert.Equal(new[] { 3e-3, 3e-3, 3e-3, 3e-4, 3e-5, 3e-5 }, results.History.Select(e => e.LearningRate).ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        // The argmax is not trivially the last epoch on this run, so restoring it is what the equality above checks.
        Assert.NotEqual(results.History.Count - 1, results.BestEpoch);

        var back = SupervisedBaselineResults.FromJson(results.ToJson());
        Assert.Equal(aucs, back.History.Select(e => e.ValAuc));
        Assert.Contains("\"val_auc\"", results.ToJson());
    }
}
