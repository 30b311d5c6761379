using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// What a method's step sees of one batch: the views its recipe made, the dataset rows they came from, the targets
/// the recipe made (pretext labels) and named extra tensors (text tokens, captions), so methods beyond two image
/// views fit the same step. The tensors belong to the step's dispose scope.
/// </summary>
/// <param name="Views">Normalised float views, each [B', C, H', W'], on the training device.</param>
/// <param name="Indices">Dataset row of each image, int64 [B] (row i of the batch is dataset row Indices[i]).</param>
/// <param name="Targets">Targets made by the view recipe (e.g. rotation ids), int64 [B']; null when the recipe makes none.</param>
/// <param name="Extras">Named extra tensors of the batch; empty for image-only data.</param>
public sealed record TrainingBatch(Tensor[] Views, Tensor Indices, Tensor? Targets, IReadOnlyDictionary<string, Tensor> Extras)
{
    public TrainingBatch(Tensor[] views, Tensor indices) : this(views, indices, null, new Dictionary<string, Tensor>()) { }

    /// <summary>The single view of a one-view method, with a clear error when the recipe made another count.</summary>
    public Tensor SingleView(string method) => Views.Length == 1
        ? Views[0]
        : throw new ArgumentException($"{method} expects 1 view, got {Views.Length}");

    /// <summary>The batch with its floating-point tensors in <paramref name="type"/> (itself when they already are).</summary>
    public TrainingBatch WithFloatType(ScalarType type)
    {
        if (type == ScalarType.Float32) return this;
        Tensor Cast(Tensor t) => t.is_floating_point() ? t.to(type) : t;
        return new TrainingBatch(Views.Select(Cast).ToArray(), Indices, Targets is null ? null : Cast(Targets), Extras.ToDictionary(kv => kv.Key, kv => Cast(kv.Value)));
    }

    /// <summary>
    /// This rank's share of a batch every rank made whole: rows [rank·n/W, (rank+1)·n/W) of every tensor, so that W
    /// ranks together see exactly the rows one process would. Each tensor's rows must divide evenly.
    /// </summary>
    public TrainingBatch Shard(int rank, int worldSize)
    {
        if (worldSize == 1) return this;
        Tensor Rows(Tensor t, string what)
        {
            var n = t.shape[0];
            if (n % worldSize != 0)
                throw new ArgumentException($"batch_size: {what} has {n} rows, which do not split evenly over {worldSize} ranks; choose a batch size divisible by the number of ranks");
            return t.narrow(0, rank * (n / worldSize), n / worldSize);
        }
        return new TrainingBatch(
            Views.Select((v, i) => Rows(v, $"view {i}")).ToArray(), Rows(Indices, "the batch"), Targets is null ? null : Rows(Targets, "the targets"),
            Extras.ToDictionary(kv => kv.Key, kv => Rows(kv.Value, $"extra '{kv.Key}'")));
    }
}
