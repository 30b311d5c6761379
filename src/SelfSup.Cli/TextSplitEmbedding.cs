using SelfSup.Evaluation;
using SelfSup.Runs;
using SelfSup.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup embed` on a text checkpoint: the pooled embeddings of a corpus's documents with their categories, the
/// text counterpart of <see cref="SplitEmbedding"/>. Splits: the run's own training and held-out documents (train,
/// test), or every document of the corpus (all).
/// </summary>
internal static class TextSplitEmbedding
{
    public static SplitEmbedding Compute(string checkpointPath, string? data, string split, Device device, int batchSize)
    {
        using var trained = TrainedTextEncoder.Load(checkpointPath);
        var config = data is null ? trained.Config : trained.Config with { Data = data };
        var corpus = split switch
        {
            "all" => TextPipeline.Default.LoadCorpus(config.Data),
            "train" => TextPretraining.Split(config, TextPipeline.Default).Train,
            "test" => TextPretraining.Split(config, TextPipeline.Default).HeldOut,
            _ => throw new ArgumentException($"--split {split}: a text checkpoint embeds train (the run's training documents), test (its held-out documents) or all (the whole corpus)"),
        };
        var encoder = trained.Encoder;
        encoder.to(device);
        var sequences = TokenBatch.Ids(trained.Tokenizer, corpus.Documents, encoder.MaxLength);
        var features = MlmEvaluation.Embed(encoder, sequences, trained.Tokenizer.Special.Pad, batchSize, device); // [N, D]
        var labels = corpus.Labels?.Select(l => (long)l).ToArray();
        return new SplitEmbedding(features, labels, null, corpus.Classes);
    }
}
