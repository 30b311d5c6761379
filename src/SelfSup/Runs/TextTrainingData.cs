using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Text;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>
/// Encoded documents in shuffled batches for a <see cref="TextMethod"/>: each batch holds no views, its token ids
/// [B, T] in <c>Extras["tokens"]</c> and padding mask [B, T] in <c>Extras["padding"]</c>, T the longest document of
/// the batch. The order of epoch e is the image loader's (<see cref="DataLoader.ShuffledOrder"/>), the last
/// incomplete batch is dropped.
/// </summary>
public sealed class TextTrainingData : ITrainingData
{
    readonly IReadOnlyList<long[]> sequences;
    readonly int pad;
    readonly TextMethod method;

    /// <param name="sequences">The encoded documents ([CLS] … [SEP], see <see cref="TextSequences.Encode"/>).</param>
    /// <param name="batchSize">Documents per batch.</param>
    /// <param name="seed">Seeds the order of every epoch.</param>
    /// <param name="method">The method whose text representation the collapse monitor measures.</param>
    public TextTrainingData(IReadOnlyList<long[]> sequences, int batchSize, int seed, TextMethod method)
    {
        if (batchSize <= 0) throw new ArgumentException($"batch_size must be positive, got {batchSize}");
        if (batchSize > sequences.Count)
            throw new ArgumentException($"batch_size {batchSize} is larger than the text corpus ({sequences.Count} training documents); use a batch size of at most {sequences.Count}");
        this.sequences = sequences;
        this.method = method;
        pad = method.Tokenizer.Special.Pad;
        BatchSize = batchSize;
        Seed = seed;
    }

    public int BatchSize { get; }
    public int Seed { get; }
    public int Count => sequences.Count;
    public int BatchesPerEpoch => sequences.Count / BatchSize;

    public IEnumerable<IStepInput> Epoch(int epoch, int startBatch, Device device)
    {
        var order = DataLoader.ShuffledOrder(sequences.Count, Seed, epoch);
        for (var b = startBatch; b < BatchesPerEpoch; b++)
            yield return new TextStep(order[(b * BatchSize)..((b + 1) * BatchSize)], this);
    }

    public EpochContext? EpochContext(int epoch, int startBatch, Device device, long seed, long step, long totalSteps) => null;

    sealed class TextStep(long[] rows, TextTrainingData data) : IStepInput
    {
        public long[] Indices => rows;

        public PreparedStep Prepare(Device device, Generator generator)
        {
            var (tokens, padding) = TextSequences.Batch(data.sequences, rows, data.pad, device);
            var extras = new Dictionary<string, Tensor> { [TextMethod.TokensKey] = tokens, [TextMethod.PaddingKey] = padding };
            var batch = new TrainingBatch([], tensor(rows, device: device), null, extras);
            return new PreparedStep(batch, monitor => Measure(monitor, data.method.TextRepresentation, tokens, padding));
        }

        public void Dispose() { }
    }

    /// <summary>The pooled embeddings of the batch's clean sequences, in eval mode (no dropout), training mode restored.</summary>
    static EmbeddingHealth Measure(CollapseMonitor monitor, Encoders.TextEncoder encoder, Tensor tokens, Tensor padding)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using (new TrainingModeSnapshot(encoder))
        {
            encoder.eval();
            return monitor.Measure(encoder.call(tokens, padding), null);
        }
    }
}
