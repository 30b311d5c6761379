using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// A pretext task that reports further named scores beside its accuracy on held-out images (a baseline's accuracy, an
/// error in the task's own units), written next to the pretext accuracy in results.json. Each score is a mean over the
/// evaluated items: every batch gives a sum and a count per score, and the evaluation divides the totals.
/// </summary>
public interface IPretextExtraScores : IPretextTask
{
    /// <summary>The scores' names, in the order <see cref="ExtraScores"/> gives them (snake_case, with the unit in the name where it helps).</summary>
    IReadOnlyList<string> ExtraScoreNames { get; }

    /// <summary>
    /// Per score, the sum over the items of normalised images [B, C, H, W] and the number of items, in eval mode without
    /// gradients (the training mode is restored). Random draws come from <paramref name="generator"/>; the evaluation
    /// seeds it as it seeds <see cref="IPretextTask.PretextScore"/>'s, so both see the same draws.
    /// </summary>
    (double Sum, long Count)[] ExtraScores(Tensor images, Generator generator);
}
