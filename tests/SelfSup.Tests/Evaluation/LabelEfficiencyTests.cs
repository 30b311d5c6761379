using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class LabelEfficiencyTests
{
    public LabelEfficiencyTests() => TorchRuntime.Initialize();

    static readonly ChannelStats Stats = new([0.4f, 0.4f, 0.4f], [0.25f, 0.25f, 0.25f]);

    static Encoder Build(long seed)
    {
        manual_seed(seed);
        return EncoderRegistry.Create("convnet", new EncoderOptions(3, 8, Width: 4));
    }

    /// <summary>What an arm saw: the labels and a checksum of the pixels, in row order.</summary>
    static string Fingerprint(ImageDataset d) => string.Join(",", d.Labels!) + "|" + d.Images.to(ScalarType.Int64).sum().item<long>();

    [Fact]
    public void AllThreeArms_SeeTheSameClassBalancedSubset_PerSeed_ForCountsAndPercentages()
    {
        using var train = EvalData.ColourClasses(90, 3);
        var seen = new List<(string Arm, int Seed, string Print, int[] PerClass)>();
        void Record(string arm, ImageDataset d, int seed) =>
            seen.Add((arm, seed, Fingerprint(d), Enumerable.Range(0, 3).Select(c => d.Labels!.Count(l => l == c)).ToArray()));
        var arms = new LabelEfficiencyArms(
            (d, s) => { Record("scratch", d, s); return new ArmRun(10, 0); },
            (d, s) => { Record("probe", d, s); return new ArmRun(20); },
            (d, s) => { Record("fine", d, s); return new ArmRun(30, 0); });
        var options = new LabelEfficiencyOptions { LabelsPerClass = [2, 5, LabelBudget.Percentage(20)], Seeds = [0, 1] };
        var points = LabelEfficiency.RunArms(train, options, arms);

        Assert.Equal(18, seen.Count);
        foreach (var group in seen.GroupBy(s => (s.Seed, s.PerClass.Sum())))
        {
            Assert.Equal(3, group.Count());
            Assert.Single(group.Select(g => g.Print).Distinct());
            var perClass = group.First().PerClass;
            Assert.All(perClass, n => Assert.Equal(perClass[0], n));
        }
        // Different seeds draw different subsets.
        Assert.NotEqual(seen.First(s => s.Seed == 0).Print, seen.First(s => s.Seed == 1).Print);
        Assert.Equal(new[] { "2", "5", "20%" }, points.Select(p => p.LabelsPerClass));
        Assert.Equal(new[] { 6, 15, 18 }, points.Select(p => p.LabeledImages)); // 20 % of 90 images: 6 per class
        Assert.Equal(6, points[2].PerClass);
        Assert.Equal(20, points[0].LinearProbe.Mean);
    }

    [Fact]
    public void ArmScore_IsTheMeanAndSampleStdOverSeeds()
    {
        var s = ArmScore.Of([70, 80, 90]);
        Assert.Equal(80, s.Mean);
        Assert.Equal(10, s.Std); // √((100 + 0 + 100) / 2)
        Assert.Equal(0, ArmScore.Of([55.5]).Std);
    }

    [Fact]
    public void LrGrid_ParsesPositiveMultipliers_AndRefusesOthers()
    {
        Assert.Equal(new[] { 0.3, 1, 3 }, LabelEfficiency.ParseLrGrid(" 0.3, 1,3"));
        Assert.Contains("got 'x'", Assert.Throws<ArgumentException>(() => LabelEfficiency.ParseLrGrid("1,x")).Message);
        Assert.Contains("got '0'", Assert.Throws<ArgumentException>(() => LabelEfficiency.ParseLrGrid("0,1")).Message);
        Assert.Contains("no values", Assert.Throws<ArgumentException>(() => LabelEfficiency.ParseLrGrid(" , ")).Message);
    }

    [Fact]
    public void LabelsPerClass_ParsesCountsAndAll()
    {
        Assert.Equal(new LabelBudget[] { 1, 10, null }, LabelEfficiency.ParseLabelsPerClass(" 1, 10,all"));
        var e = Assert.Throws<ArgumentException>(() => LabelEfficiency.ParseLabelsPerClass("1,ten"));
        Assert.Contains("got 'ten'", e.Message);
    }

    [Fact]
    public void MoreLabelsPerClassThanAClassHas_NamesTheClassAndTheCounts()
    {
        using var train = new ImageDataset("tiny", zeros([7, 3, 8, 8], ScalarType.Byte), [0, 0, 0, 0, 1, 1, 1], ["cat", "dog"]);
        using var test = EvalData.ColourClasses(4, 2);
        var e = Assert.Throws<ArgumentException>(() => LabelEfficiency.Validate(train, test, new LabelEfficiencyOptions { LabelsPerClass = [1, 4] }));
        Assert.Contains("--labels-per-class 4: class 'dog' of 'tiny' has only 3 training images (class sizes: 0=4, 1=3)", e.Message);
    }

    [Fact]
    public void ADatasetWithoutLabels_IsRefused()
    {
        using var train = new ImageDataset("nolabels", zeros([4, 3, 8, 8], ScalarType.Byte), null);
        using var test = EvalData.ColourClasses(4, 2);
        var e = Assert.Throws<ArgumentException>(() => LabelEfficiency.Validate(train, test, new LabelEfficiencyOptions()));
        Assert.Contains("dataset 'nolabels' has no labels", e.Message);
    }

    [Fact]
    public void ScratchRecipe_TrainsEveryLayerAtTheHeadRate_ForTwiceTheEpochs()
    {
        var scratch = LabelEfficiency.ScratchRecipe(new FineTuneOptions { Epochs = 7, MinSteps = 50, FrozenStages = 2, LayerDecay = 0.7 });
        Assert.Equal((14, 100, 0, 1.0, (double?)null), (scratch.Epochs, scratch.MinSteps, scratch.FrozenStages, scratch.BackboneLrFactor, scratch.LayerDecay));
    }

    [Fact]
    public void ATinyRun_WritesResultsThatRoundTripAndATable()
    {
        using var train = EvalData.ColourClasses(60, 3, seed: 1);
        using var test = EvalData.ColourClasses(30, 3, seed: 2);
        using var pretrained = Build(1);
        var quick = new FineTuneOptions { Epochs = 1, MinSteps = 2, BatchSize = 8, ValidationFraction = 0, Patience = null };
        var results = LabelEfficiency.Run(pretrained, s => Build(100 + s), train, test, Stats,
            new LabelEfficiencyOptions { LabelsPerClass = [2, null], Seeds = [0, 1], FineTune = quick });
        Assert.Equal(2, results.Points.Count);
        Assert.Equal("all", results.Points[1].LabelsPerClass);
        Assert.Equal(20, results.Points[1].PerClass);
        Assert.All(results.Points, p => Assert.Equal(2, p.FineTune.Runs.Count));
        Assert.All(results.Points, p => Assert.InRange(p.LinearProbe.Mean, 0, 100));
        Assert.Equal(2, results.Scratch.Epochs);
        var back = LabelEfficiencyResults.FromJson(results.ToJson());
        Assert.Equal(results.Points[0].Scratch.Runs, back.Points[0].Scratch.Runs);
        var md = results.ToMarkdown();
        Assert.Contains("| labels / class | labelled images | scratch | linear probe | fine-tune |", md);
        Assert.Contains("| 2 | 6 |", md);
        Assert.Contains("| all | 60 |", md);
    }

    [Fact]
    public void AnUnknownStageCount_IsRefusedBeforeAnyTraining()
    {
        using var train = EvalData.ColourClasses(30, 3);
        using var test = EvalData.ColourClasses(6, 3);
        using var pretrained = Build(1);
        var built = 0;
        var e = Assert.Throws<ArgumentException>(() => LabelEfficiency.Run(pretrained, s => { built++; return Build(s); }, train, test, Stats,
            new LabelEfficiencyOptions { LabelsPerClass = [2], Seeds = [0], FineTune = new FineTuneOptions { FrozenStages = 9 } }));
        Assert.Contains("has 5 stages (block1, block2, block3, block4, block5), cannot freeze 9", e.Message);
        Assert.Equal(0, built);
    }

    [Fact]
    public void ALearningRateGrid_IsSearchedOnValidation_AndRecorded()
    {
        using var train = EvalData.ColourClasses(60, 3, seed: 1);
        using var test = EvalData.ColourClasses(30, 3, seed: 2);
        using var pretrained = Build(1);
        var quick = new FineTuneOptions { Epochs = 1, MinSteps = 2, BatchSize = 8, ValidationFraction = 0.5, Patience = null };
        var results = LabelEfficiency.Run(pretrained, s => Build(100 + s), train, test, Stats,
            new LabelEfficiencyOptions { LabelsPerClass = [1, 4], Seeds = [0], FineTune = quick, LrGrid = [0.5, 2] });
        Assert.Equal([0.5, 2], results.LrGrid);
        Assert.Equal([0.5, 2], LabelEfficiencyResults.FromJson(results.ToJson()).LrGrid);
        Assert.Contains("Learning rate × {0.5, 2} tried for scratch and fine-tuning alike", results.ToMarkdown());
        Assert.All(results.Points, p => Assert.InRange(p.FineTune.Mean, 0, 100));
        // 1 label per class holds nothing out: the recipe's own rate; 4 per class hold out 2, so a grid rate is chosen.
        Assert.Equal([1.0], results.Points[0].FineTuneLrMultipliers);
        Assert.Contains(results.Points[1].ScratchLrMultipliers.Single(), new[] { 0.5, 2 });
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void ANonPositiveLearningRateMultiplier_IsRefused(double m)
    {
        using var train = EvalData.ColourClasses(30, 3, seed: 1);
        using var test = EvalData.ColourClasses(30, 3, seed: 2);
        var e = Assert.Throws<ArgumentException>(() => LabelEfficiency.Validate(train, test, new LabelEfficiencyOptions { LrGrid = [1, m] }));
        Assert.Contains("--lr-grid: expected positive multipliers", e.Message);
    }

    [Fact]
    public void OnATwoClassTask_EveryArmAlsoReportsAuroc()
    {
        using var train = EvalData.ColourClasses(40, 2, seed: 1);
        using var test = EvalData.ColourClasses(20, 2, seed: 2);
        using var pretrained = Build(1);
        var quick = new FineTuneOptions { Epochs = 1, MinSteps = 2, BatchSize = 8, ValidationFraction = 0, Patience = null };
        var results = LabelEfficiency.Run(pretrained, s => Build(100 + s), train, test, Stats,
            new LabelEfficiencyOptions { LabelsPerClass = [3], Seeds = [0], FineTune = quick });
        var point = Assert.Single(results.Points);
        foreach (var auroc in new[] { point.ScratchAuroc, point.LinearProbeAuroc, point.FineTuneAuroc })
            Assert.InRange(Assert.Single(auroc!.Runs), 0, 100);
        Assert.Contains("Test AUROC", results.ToMarkdown());
        Assert.Equal(point.LinearProbeAuroc!.Runs, LabelEfficiencyResults.FromJson(results.ToJson()).Points[0].LinearProbeAuroc!.Runs);
    }
}
