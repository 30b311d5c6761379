using System.Text.Json;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Text;
using SelfSup.Training;

namespace SelfSup.Tests.Evaluation;

[Collection(GlobalRngCollection.Name)]
public sealed class MlmEvaluationTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-mlm-eval-").FullName;
    static readonly SpecialTokens Special = new(Pad: 0, Unknown: 1, Cls: 2, Sep: 3, Mask: 4);

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void MostFrequentToken_CountsOnlyNonSpecialTokens()
    {
        // [CLS] and [SEP] are the most common ids here, then 7 (three times) before 9 (twice).
        long[][] sequences = [[2, 7, 9, 3], [2, 7, 3, 0, 0], [2, 9, 7, 1, 1, 1, 1, 3]];
        Assert.Equal(7, MlmEvaluation.MostFrequentToken(sequences, Special));
    }

    [Fact]
    public void MaskedAccuracy_OfTheUnigramBaseline_IsTheShareOfMaskedTokensEqualToIt()
    {
        var tokenizer = WhitespaceTokenizer.Train(["a b", "c"]); // a = 5, b = 6, c = 7
        using var method = new Mlm(tokenizer, new MlmOptions { Dim = 8, Depth = 1, Heads = 2, MaxLength = 40 });
        // Every real token is "a", so the baseline "a" is right at every masked position; "b" at none.
        var sequences = Enumerable.Range(0, 20).Select(_ => TextSequences.Encode(tokenizer, string.Join(' ', Enumerable.Repeat("a", 30)), 40)).ToList();
        var withA = MlmEvaluation.MaskedAccuracy(method, sequences, unigramToken: 5, seed: 1);
        var withB = MlmEvaluation.MaskedAccuracy(method, sequences, unigramToken: 6, seed: 1);
        Assert.InRange(withA.MaskedTokens, 60, 120); // 15 % of 600
        Assert.Equal(100.0, withA.UnigramAccuracy);
        Assert.Equal(0.0, withB.UnigramAccuracy);
        Assert.Equal(withA.MaskedTokens, withB.MaskedTokens); // the fixed generator draws the same masks
        Assert.Equal(withA.Accuracy, withB.Accuracy);
    }

    [Fact]
    public void TextEvaluation_ScoresTheHeldOutDocuments_AndWritesEveryResultKey()
    {
        var text = TinyCorpus.Pipeline(documentsPerClass: 40);
        var config = new RunConfig
        {
            Method = "mlm", Data = "tiny", MethodOptions = new() { ["dim"] = "32", ["depth"] = "1", ["heads"] = "2", ["max_length"] = "16" },
            Epochs = 2, BatchSize = 32, Optimizer = OptimizerKind.AdamW, LearningRate = 3e-3, WeightDecay = 0.01, Seed = 1, CheckpointEvery = 0, MonitorEvery = 0,
        };
        var dir = Path.Combine(root, "run");
        using (var run = TextPretraining.Create(config, dir, text))
            run.Trainer.Fit();
        var results = TextEvaluation.Run(Path.Combine(dir, "checkpoints", "last.ckpt"), text, seed: 0);
        Assert.Equal(12, results.HeldOutDocuments); // ⌈10 % of 120⌉
        Assert.Equal(3, results.ProbeClasses);
        Assert.InRange(results.MaskedTokenAccuracy!.Value, 0, 100);
        Assert.InRange(results.RandomInitProbeTop1!.Value, 0, 100);
        Assert.True(results.MaskedTokens > 0, "no held-out token was masked");
        Assert.NotNull(results.UnigramBaselineToken);
        var path = Path.Combine(root, "results.json");
        results.Save(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var key in new[] { "masked_token_accuracy", "unigram_baseline_accuracy", "probe_top1", "random_init_probe_top1", "held_out_documents" })
            Assert.True(doc.RootElement.TryGetProperty(key, out _), $"results.json has no '{key}'");
    }
}
