using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// A method trained on a pretext task with its own targets (rotation, jigsaw, relative location, colorization…): its
/// pretext accuracy on held-out images is reported beside the k-NN and linear probes, the first measure the
/// pretext-task literature gives.
/// </summary>
public interface IPretextTask
{
    /// <summary>Name of the score, e.g. "rotation accuracy" or "ab-bin accuracy".</summary>
    string PretextMetric { get; }

    /// <summary>Accuracy of a random guess on the pretext targets (e.g. 1/4 for rotation), the chance level to compare with.</summary>
    double PretextChance { get; }

    /// <summary>
    /// Scores the pretext task on normalised images [B, C, H, W] in eval mode without gradients: the number of correct
    /// predictions and the number of predictions (e.g. 4·B for rotation, B·H·W for per-pixel colour bins). Random
    /// draws (permutations, patch positions) come from <paramref name="generator"/>; the training mode is restored.
    /// </summary>
    (long Correct, long Total) PretextScore(Tensor images, Generator generator);
}
