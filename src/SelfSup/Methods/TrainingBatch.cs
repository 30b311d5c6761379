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
}
