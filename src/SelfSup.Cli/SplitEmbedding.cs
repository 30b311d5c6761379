using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Runs;
using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// What `selfsup embed` and `selfsup index` compute for one split of a checkpoint's evaluation data: the encoder's
/// features [N, D], the split's labels and, where known (<see cref="DatasetFiles"/>), the file of every row.
/// </summary>
internal sealed record SplitEmbedding(Tensor Features, long[]? Labels, IReadOnlyList<string>? Paths, IReadOnlyList<string> ClassNames) : IDisposable
{
    public static SplitEmbedding Compute(EvaluationData opened, string split, Device device, int batchSize)
    {
        var images = opened.Split(split);
        var source = MetricsFeatureSource.FromEncoder("encoder", opened.Trained.Encoder, opened.Trained.Stats, device);
        var features = source.Extract(images, batchSize); // [N, D]
        var paths = DatasetFiles.RowFiles(opened.DataName, split, opened.DataOptions, images.Count);
        return new SplitEmbedding(features, images.Labels, paths, images.ClassNames);
    }

    public void Dispose() => Features.Dispose();
}
