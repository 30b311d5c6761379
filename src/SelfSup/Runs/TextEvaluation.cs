using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>What a text checkpoint's evaluation measured; written as results.json.</summary>
public sealed record TextEvaluationResults
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }
    [JsonPropertyName("encoder")] public required string Encoder { get; init; }
    [JsonPropertyName("embedding_dim")] public int EmbeddingDim { get; init; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("epochs")] public double Epochs { get; init; }
    [JsonPropertyName("steps")] public long Steps { get; init; }
    [JsonPropertyName("pretrain_documents")] public int PretrainDocuments { get; init; }
    [JsonPropertyName("held_out_documents")] public int HeldOutDocuments { get; init; }
    /// <summary>Positions chosen for prediction in the held-out documents (fixed generator, <see cref="Seed"/>).</summary>
    [JsonPropertyName("masked_tokens")] public long? MaskedTokens { get; init; }
    /// <summary>Top-1 accuracy (%) of the trained model at the masked positions of held-out documents.</summary>
    [JsonPropertyName("masked_token_accuracy")] public double? MaskedTokenAccuracy { get; init; }
    /// <summary>The same positions predicted by the single most frequent training token.</summary>
    [JsonPropertyName("unigram_baseline_accuracy")] public double? UnigramBaselineAccuracy { get; init; }
    [JsonPropertyName("unigram_baseline_token")] public string? UnigramBaselineToken { get; init; }
    /// <summary>Linear probe (%) of the held-out documents' categories on the trained encoder's pooled embeddings; null without categories.</summary>
    [JsonPropertyName("probe_top1")] public double? ProbeTop1 { get; init; }
    /// <summary>The same probe on the random-init encoder (same seed, same architecture).</summary>
    [JsonPropertyName("random_init_probe_top1")] public double? RandomInitProbeTop1 { get; init; }
    [JsonPropertyName("probe_classes")] public int ProbeClasses { get; init; }
    /// <summary>Percent of held-out documents in their most common category: the probe's chance level.</summary>
    [JsonPropertyName("probe_majority_class")] public double? ProbeMajorityClass { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("checkpoint")] public required string Checkpoint { get; init; }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
    }
}

/// <summary>
/// Evaluates a text checkpoint on the documents its run held out (<see cref="TextPretraining.Split"/>, the same seed):
/// masked-token accuracy against the unigram baseline (MLM methods), and a linear probe of the document categories
/// on pooled embeddings — fitted on the training documents, scored on the held-out ones — against the random-init
/// twin. Image evaluation (k-NN, raw pixels) does not apply.
/// </summary>
public static class TextEvaluation
{
    public static TextEvaluationResults Run(string checkpointPath, TextPipeline? text = null, int seed = 0, string device = "cpu", int? probeTrainLimit = 10_000)
    {
        var clock = Stopwatch.StartNew();
        text ??= TextPipeline.Default;
        var dev = TorchRuntime.ParseDevice(device);
        using var trained = TrainedTextEncoder.Load(checkpointPath, text);
        var config = trained.Config;
        var (train, heldOut) = TextPretraining.Split(config, text);
        var maxLength = trained.Encoder.MaxLength;
        var tokenizer = trained.Tokenizer;
        var trainSequences = TextSequences.EncodeAll(tokenizer, train, maxLength);
        var heldOutSequences = TextSequences.EncodeAll(tokenizer, heldOut, maxLength);
        trained.Method.to(dev);

        MaskedTokenAccuracy? masked = null;
        if (trained.Method is Mlm mlm)
            masked = MlmEvaluation.MaskedAccuracy(mlm, heldOutSequences, MlmEvaluation.MostFrequentToken(trainSequences, tokenizer.Special), seed, device: dev);

        double? probe = null, randomProbe = null, majority = null;
        if (train.Labels is { } trainLabels && heldOut.Labels is { } testLabels && train.Classes.Count >= 2)
        {
            var rows = Pretraining.LimitRows(train.Count, probeTrainLimit, seed);
            var probeTrain = rows.Select(r => trainSequences[r]).ToList();
            var yTrain = rows.Select(r => (long)trainLabels[(int)r]).ToArray();
            var yTest = testLabels.Select(l => (long)l).ToArray();
            double Probe(Encoders.TextEncoder encoder)
            {
                using var xTrain = MlmEvaluation.Embed(encoder, probeTrain, tokenizer.Special.Pad, device: dev);
                using var xTest = MlmEvaluation.Embed(encoder, heldOutSequences, tokenizer.Special.Pad, device: dev);
                return LinearProbe.Evaluate(xTrain, yTrain, xTest, yTest, train.Classes.Count, new LinearProbeOptions { Seed = seed }).Top1;
            }
            probe = Probe(trained.Encoder);
            using (var twin = trained.RandomInitTwin())
            {
                twin.to(dev);
                randomProbe = Probe(twin.TextRepresentation);
            }
            majority = 100.0 * yTest.GroupBy(y => y).Max(g => g.Count()) / yTest.Length;
        }

        var state = trained.State;
        return new TextEvaluationResults
        {
            Method = config.Method,
            Dataset = config.Data,
            Encoder = $"{config.Encoder} ({trained.Encoder.EmbeddingDim}-d, max length {maxLength})",
            EmbeddingDim = trained.Encoder.EmbeddingDim,
            VocabSize = tokenizer.VocabSize,
            Epochs = Math.Round((double)state.Step / Math.Max(1, state.TotalSteps) * config.Epochs, 3),
            Steps = state.Step,
            PretrainDocuments = train.Count,
            HeldOutDocuments = heldOut.Count,
            MaskedTokens = masked?.MaskedTokens,
            MaskedTokenAccuracy = masked is null ? null : Math.Round(masked.Accuracy, 2),
            UnigramBaselineAccuracy = masked is null ? null : Math.Round(masked.UnigramAccuracy, 2),
            UnigramBaselineToken = masked is null ? null : tokenizer.Decode([(int)masked.UnigramToken]),
            ProbeTop1 = probe is null ? null : Math.Round(probe.Value, 2),
            RandomInitProbeTop1 = randomProbe is null ? null : Math.Round(randomProbe.Value, 2),
            ProbeClasses = train.Classes.Count,
            ProbeMajorityClass = majority is null ? null : Math.Round(majority.Value, 2),
            Seed = seed,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Checkpoint = Path.GetFullPath(checkpointPath),
        };
    }
}
