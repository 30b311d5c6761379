using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public sealed class ClipTests : IDisposable
{
    static readonly ChannelStats Stats = new([0.5f], [0.25f]);
    readonly ImageDataset data;

    public ClipTests()
    {
        TorchRuntime.Initialize();
        // Two classes told apart by brightness: class 0 dark, class 1 bright, with noise.
        using var g = new Generator(7);
        var labels = Enumerable.Range(0, 32).Select(i => (long)(i % 2)).ToArray();
        using var level = tensor(labels.Select(l => l == 0 ? 60f : 190f).ToArray()).view(32, 1, 1, 1);
        using var noise = randn([32, 1, 8, 8], generator: g) * 30;
        data = new ImageDataset("bright", (level + noise).clamp(0, 255).to(ScalarType.Byte), labels, ["dark", "bright"]);
    }

    public void Dispose() => data.Dispose();

    static Clip Create(ClipOptions? options = null, string? captionsFile = null)
    {
        manual_seed(1);
        var o = options ?? new ClipOptions { EmbedDim = 8, TextWidth = 8, VocabSize = 64 };
        return new Clip(new TinyEncoder(channels: 1, width: 6), new ClipTestTextEncoder(o.VocabSize, o.TextWidth), o,
            (texts, vocab) => new ClipTestTokenizer(texts, vocab), captionsFile);
    }

    EpochContext Epoch() => new(0, 0, data, Stats, CPU, Seed: 3, Step: 0, TotalSteps: 1);

    TrainingBatch Batch(long start, long count, Generator g) =>
        new(MaeViews.ForImages(8, Stats).Apply(data.Range(start, count), g), arange(start, start + count, 1L, ScalarType.Int64));

    [Fact]
    public void AStep_SendsGradientToBothEncoders_BothProjections_AndTheTemperature()
    {
        using var clip = Create();
        clip.BeforeEpoch(Epoch());
        var result = clip.TrainingStep(Batch(0, 8, new Generator(2)), StepContext.Single());
        result.Loss.backward();
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        foreach (var (name, p) in clip.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        Assert.Equal(1 / 0.07, result.Scalars["logit_scale"].item<float>(), 3);
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void TheTokenizer_IsTrainedOnEveryTemplateOfEveryClass_AndRebuiltIdentically()
    {
        using var clip = Create();
        clip.BeforeEpoch(Epoch());
        using var other = Create();
        var again = other.PrepareText(["dark", "bright"]);
        // CLIP's 18 CIFAR-10 templates use 14 distinct words besides the class names (a, photo, of, …, "big"; the full stop sticks to the class name).
        var expected = CaptionTemplates.Cifar10.SelectMany(t => new[] { "dark", "bright" }.Select(c => CaptionTemplates.Apply(t, c)))
            .SelectMany(c => c.Split(' ')).Distinct().Count();
        Assert.Equal(5 + expected, clip.Tokenizer!.VocabSize);
        Assert.Equal(clip.Tokenizer.Encode("a blurry photo of the bright."), again.Encode("a blurry photo of the bright."));
        Assert.DoesNotContain(clip.Tokenizer.Special.Unknown, clip.Tokenizer.Encode("a photo of the small dark."));
    }

    [Fact]
    public void AStepBeforeTheEpoch_OrAnUnlabeledDatasetWithoutCaptions_IsAClearError()
    {
        using var clip = Create();
        var e = Assert.Throws<InvalidOperationException>(() => clip.TrainingStep(Batch(0, 4, new Generator(1)), StepContext.Single()));
        Assert.Contains("BeforeEpoch", e.Message);
        using var unlabeled = new ImageDataset("pile", zeros([4, 1, 8, 8], ScalarType.Byte), labels: null);
        var e2 = Assert.Throws<InvalidOperationException>(() => clip.BeforeEpoch(new EpochContext(0, 0, unlabeled, Stats, CPU, 3, 0, 1)));
        Assert.Contains("--captions", e2.Message);
    }

    [Fact]
    public void ACaptionsFile_GivesEachRowItsOwnCaptions_AndMustCoverEveryRow()
    {
        var file = Path.GetTempFileName() + ".jsonl";
        try
        {
            File.WriteAllLines(file, Enumerable.Range(0, 32).Select(i => $"{{\"image\": \"img{i:D2}.png\", \"caption\": \"{(i % 2 == 0 ? "a dark square" : "a bright square")} number{i}\"}}"));
            using var clip = Create(captionsFile: file);
            clip.BeforeEpoch(Epoch());
            // 5 special tokens, a, dark, square, number0, bright, number1, …: every caption's words are in the vocabulary.
            Assert.Equal(5 + 4 + 32, clip.Tokenizer!.VocabSize);
            File.WriteAllLines(file, ["{\"image\": \"img00.png\", \"caption\": \"one\"}"]);
            using var short_ = Create(captionsFile: file);
            var e = Assert.Throws<InvalidOperationException>(() => short_.BeforeEpoch(Epoch()));
            Assert.Contains("1 captioned rows", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AfterAnOptimizerStep_TheScaleStaysAtMost100()
    {
        using var clip = Create(new ClipOptions { EmbedDim = 8, TextWidth = 8, VocabSize = 64, InitialTemperature = 0.001 });
        Assert.Equal(1000, Math.Exp(clip.Loss.LogScale.item<float>()), 0);
        clip.AfterOptimizerStep(StepContext.Single());
        Assert.Equal(ClipLoss.MaxScale, clip.Loss.Scale, 3);
    }

    [Fact]
    public void ShortTraining_LearnsToMatchImagesToTheirClasssCaptions()
    {
        using var clip = Create();
        clip.train();
        clip.BeforeEpoch(Epoch());
        using var optimizer = optim.Adam(clip.parameters(), 0.01);
        var g = new Generator(5);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var start = step % 2 * 16;
            var result = clip.TrainingStep(Batch(start, 16, g), StepContext.Single(step, 60));
            result.Loss.backward();
            optimizer.step();
            clip.AfterOptimizerStep(StepContext.Single(step, 60));
            if (step == 0) first = result.Loss.item<float>();
            last = result.Loss.item<float>();
        }
        // 16 images of 2 classes: the best a model can do is spread each image over its class's 8 captions, ln 8 ≈ 2.08;
        // chance is ln 16 ≈ 2.77.
        Assert.True(first > 2.6, $"first loss {first}");
        Assert.True(last < 2.3, $"last loss {last}");
        // Zero-shot: the 18 prompts of each class name, ensembled, classify the images.
        var accuracy = ZeroShot.Classify(clip, data, Stats, CPU, CaptionTemplates.Cifar10);
        Assert.True(accuracy > 90, $"zero-shot accuracy {accuracy} %");
    }
}
