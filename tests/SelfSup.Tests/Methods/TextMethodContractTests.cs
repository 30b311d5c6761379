using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Text;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

/// <summary>
/// The contract of <see cref="MethodContractTests"/> for every registered text method, on token batches of a hand-made
/// corpus with a whitespace tokenizer: a step is finite and its gradient reaches the text representation, a checkpoint
/// (with its tokenizer) round trip gives identical embeddings and a different random-init twin, and a resumed run
/// repeats the uninterrupted one. The recipe and docs row are checked with the image methods.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TextMethodContractTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-text-contract-").FullName;
    static readonly TextPipeline Text = TinyCorpus.Pipeline();

    public void Dispose() => Directory.Delete(root, recursive: true);

    public static TheoryData<string> Methods() => new(MethodRegistry.All.Where(m => m.IsText).Select(m => m.Name));

    /// <summary>Tiny encoders for every text method (options each method's record may or may not have are ignored by none: all share these names).</summary>
    static readonly Dictionary<string, string> Small = new() { ["dim"] = "16", ["depth"] = "1", ["heads"] = "2", ["max_length"] = "16" };

    static RunConfig Config(string method, long? maxSteps = null) => new()
    {
        Method = method, Data = "tiny", MethodOptions = new(Small), Epochs = 2, BatchSize = 32, Optimizer = OptimizerKind.AdamW,
        LearningRate = 1e-3, WeightDecay = 0.01, Seed = 3, CheckpointEvery = 0, MonitorEvery = 2, MaxSteps = maxSteps,
    };

    static (Tensor Tokens, Tensor Padding) Batch(ITokenizer tokenizer)
    {
        var corpus = TinyCorpus.Create();
        var sequences = TextSequences.EncodeAll(tokenizer, corpus, 16);
        return TextSequences.Batch(sequences, Enumerable.Range(0, 16).Select(i => (long)i).ToArray(), tokenizer.Special.Pad);
    }

    static TrainingBatch TrainingBatchOf(Tensor tokens, Tensor padding) =>
        new([], arange(tokens.shape[0]), null, new Dictionary<string, Tensor> { [TextMethod.TokensKey] = tokens, [TextMethod.PaddingKey] = padding });

    [Theory]
    [MemberData(nameof(Methods))]
    public void OneStep_IsFinite_AndItsGradientReachesTheTextRepresentation(string name)
    {
        var tokenizer = WhitespaceTokenizer.Train(TinyCorpus.Create());
        using var method = TextPretraining.BuildMethod(Config(name), tokenizer);
        method.train();
        var (tokens, padding) = Batch(tokenizer);
        var result = method.TrainingStep(TrainingBatchOf(tokens, padding), StepContext.Single());
        var loss = result.Loss.item<float>();
        Assert.True(float.IsFinite(loss), $"{name}: loss {loss}");
        Assert.True(result.Scalars.ContainsKey("embedding_std"), $"{name}: no embedding_std logged");
        result.Loss.backward();
        var reached = method.TextRepresentation.parameters().Count(p => p.grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.True(reached > 0, $"{name}: no gradient reached the text representation");
        Assert.Throws<InvalidOperationException>(() => method.Representation);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void CheckpointRoundTrip_WithItsTokenizer_GivesIdenticalEmbeddings(string name)
    {
        using var run = TextPretraining.Create(Config(name, maxSteps: 2), Path.Combine(root, name), Text);
        run.Trainer.Fit();
        using var loaded = TrainedTextEncoder.Load(run.Trainer.LastCheckpointPath, Text);
        Assert.Equal(run.Tokenizer.VocabSize, loaded.Tokenizer.VocabSize);
        Assert.Equal(run.Tokenizer.Encode("the red cat and the five"), loaded.Tokenizer.Encode("the red cat and the five"));
        run.Method.eval();
        loaded.Encoder.eval();
        var (tokens, padding) = Batch(loaded.Tokenizer);
        using var expected = run.Method.TextRepresentation.call(tokens, padding);
        using var actual = loaded.Encoder.call(tokens, padding);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
        using var twin = loaded.RandomInitTwin();
        twin.eval();
        using var fresh = twin.TextRepresentation.call(tokens, padding);
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

    static Dictionary<long, double> Losses(string name, string runDir, long? maxSteps, bool resume)
    {
        using var run = TextPretraining.Create(Config(name, maxSteps), runDir, Text, resume);
        run.Trainer.Fit(resume);
        return TrainerTests.StepLosses(run.Trainer.MetricsPath);
    }
}
