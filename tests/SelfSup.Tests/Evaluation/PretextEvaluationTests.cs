using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public sealed class PretextEvaluationTests
{
    static readonly ChannelStats Stats = new([0.5f], [0.25f]);

    /// <summary>Calls an image "correct" when its normalised mean is positive, two predictions per image; records its generator draws.</summary>
    sealed class BrightIsCorrect : SslMethod, IPretextTask
    {
        public BrightIsCorrect() : base(nameof(BrightIsCorrect), new TinyEncoder()) => RegisterComponents();

        public List<long> Draws { get; } = [];
        public string PretextMetric => "brightness accuracy";
        public double PretextChance => 0.25;

        public (long Correct, long Total) PretextScore(Tensor images, Generator generator)
        {
            Draws.Add(randint(0, 1_000_000, [1], generator: generator).item<long>());
            var bright = images.mean([1L, 2L, 3L]).gt(0).sum().item<long>();
            return (bright, 2 * images.shape[0]);
        }

        public override StepResult TrainingStep(TrainingBatch batch, StepContext context) => throw new NotSupportedException();
    }

    /// <summary>As <see cref="BrightIsCorrect"/>, with two extra scores: the mean pixel per image and the draws seen, per batch.</summary>
    sealed class BrightWithExtras : SslMethod, IPretextExtraScores
    {
        readonly BrightIsCorrect inner = new();

        public BrightWithExtras() : base(nameof(BrightWithExtras), new TinyEncoder()) => RegisterComponents();

        public List<long> ExtraDraws { get; } = [];
        public List<long> Draws => inner.Draws;
        public string PretextMetric => inner.PretextMetric;
        public double PretextChance => inner.PretextChance;
        public (long Correct, long Total) PretextScore(Tensor images, Generator generator) => inner.PretextScore(images, generator);
        public IReadOnlyList<string> ExtraScoreNames => ["mean_pixel", "batches"];

        public (double Sum, long Count)[] ExtraScores(Tensor images, Generator generator)
        {
            ExtraDraws.Add(randint(0, 1_000_000, [1], generator: generator).item<long>());
            return [(images.mean([1L, 2L, 3L]).sum().item<float>(), images.shape[0]), (1, 1)];
        }

        public override StepResult TrainingStep(TrainingBatch batch, StepContext context) => throw new NotSupportedException();
    }

    sealed class NoPretext : SslMethod
    {
        public NoPretext() : base(nameof(NoPretext), new TinyEncoder()) => RegisterComponents();
        public override StepResult TrainingStep(TrainingBatch batch, StepContext context) => throw new NotSupportedException();
    }

    /// <summary>Five 4×4 one-channel images: 3 white (normalised +2), 2 black (normalised −2).</summary>
    static ImageDataset ThreeBrightTwoDark()
    {
        var pixels = new byte[5 * 16];
        foreach (var i in new[] { 0, 2, 3 }) Array.Fill(pixels, (byte)255, i * 16, 16);
        return new ImageDataset("bright", tensor(pixels, [5, 1, 4, 4]), [0, 1, 0, 0, 1]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(256)]
    public void Score_CountsEveryPredictionOfEveryBatch(int batchSize)
    {
        using var method = new BrightIsCorrect();
        using var data = ThreeBrightTwoDark();

        var score = PretextEvaluation.Run(method, data, Stats, CPU, seed: 3, batchSize)!;

        // 3 bright images · 1 of 2 predictions each right = 3 of 10.
        Assert.Equal(("brightness accuracy", 30.0, 25.0, 10L), (score.Metric, score.Accuracy, score.Chance, score.Predictions));
        Assert.Equal((5 + batchSize - 1) / batchSize, method.Draws.Count);
    }

    [Fact]
    public void Score_DrawsFromOneGeneratorSeededWithTheEvalSeed()
    {
        using var data = ThreeBrightTwoDark();
        using var a = new BrightIsCorrect();
        using var b = new BrightIsCorrect();
        using var c = new BrightIsCorrect();

        PretextEvaluation.Run(a, data, Stats, CPU, seed: 3, batchSize: 2);
        PretextEvaluation.Run(b, data, Stats, CPU, seed: 3, batchSize: 2);
        PretextEvaluation.Run(c, data, Stats, CPU, seed: 4, batchSize: 2);

        Assert.Equal(a.Draws, b.Draws);
        Assert.NotEqual(a.Draws, c.Draws);
        Assert.Equal(3, a.Draws.Distinct().Count()); // one generator carried across batches, not reseeded per batch
    }

    [Fact]
    public void ExtraScores_AreMeansOverEveryItemOfEveryBatch_DrawnAsTheAccuracysDrawsWere()
    {
        using var data = ThreeBrightTwoDark();
        using var method = new BrightWithExtras();

        var score = PretextEvaluation.Run(method, data, Stats, CPU, seed: 3, batchSize: 2)!;

        // Normalised pixels: +2 for the 3 white images, −2 for the 2 black ones: mean (6 − 4) / 5 = 0.4; 3 batches of 1 each.
        Assert.Equal(0.4, score.Extra!["mean_pixel"], 5);
        Assert.Equal(1.0, score.Extra["batches"]);
        Assert.Equal(30.0, score.Accuracy);
        Assert.Equal(method.Draws, method.ExtraDraws);
    }

    [Fact]
    public void Score_IsNull_ForAMethodWithoutAPretextTask()
    {
        using var method = new NoPretext();
        using var data = ThreeBrightTwoDark();

        Assert.Null(PretextEvaluation.Run(method, data, Stats, CPU, seed: 0));
    }

    [Fact]
    public void Results_CarryThePretextScore_AndOlderFilesWithoutItStillLoad()
    {
        var results = new EvaluationResults
        {
            Method = "fake", Dataset = "d", Encoder = "e", RandomInit = new(1, 2), RawPixels = new(3, 4),
            PretextMetric = "brightness accuracy", PretextAccuracy = 30, PretextChance = 25,
        };
        var json = results.ToJson();
        Assert.Contains("\"pretext_accuracy\": 30", json);
        Assert.DoesNotContain("pretext_scores", json);
        var withScores = results with { PretextScores = new Dictionary<string, double> { ["copy_accuracy"] = 71.5 } };
        Assert.Contains("\"copy_accuracy\": 71.5", withScores.ToJson());

        var withoutPretext = (results with { PretextMetric = null, PretextAccuracy = null, PretextChance = null }).ToJson();
        Assert.DoesNotContain("pretext", withoutPretext);
        var path = Path.Combine(Path.GetTempPath(), $"selfsup-pretext-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, withoutPretext);
            Assert.Null(EvaluationResults.Load(path).PretextAccuracy);
            File.WriteAllText(path, json);
            Assert.Equal(("brightness accuracy", 30.0, 25.0), (EvaluationResults.Load(path).PretextMetric, EvaluationResults.Load(path).PretextAccuracy, EvaluationResults.Load(path).PretextChance));
            File.WriteAllText(path, withScores.ToJson());
            Assert.Equal(71.5, EvaluationResults.Load(path).PretextScores!["copy_accuracy"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
