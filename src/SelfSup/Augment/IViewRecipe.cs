using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>The views of one batch and, for pretext tasks, the targets the recipe made with them.</summary>
/// <param name="Images">Normalised float views, each [B', C, H', W'] (a recipe may change the batch size, e.g. four rotations per image).</param>
/// <param name="Targets">Pretext labels made by the recipe (rotation ids, permutation ids), int64 [B']; null when the method makes none.</param>
public sealed record ViewBatch(Tensor[] Images, Tensor? Targets = null);

/// <summary>
/// Turns one uint8 batch [B, C, H, W] into the views a method trains on (normalised float tensors on the
/// batch's device). One call per batch; every random parameter is drawn per sample from the generator.
/// </summary>
public interface IViewRecipe
{
    /// <summary>The views of <paramref name="images"/>, random parameters drawn from <paramref name="generator"/>.</summary>
    Tensor[] Apply(Tensor images, Generator generator);

    /// <summary>The views and the recipe's targets; recipes that make targets (pretext tasks) override this.</summary>
    ViewBatch ApplyWithTargets(Tensor images, Generator generator) => new(Apply(images, generator));
}
