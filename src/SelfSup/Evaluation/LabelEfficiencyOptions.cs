using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>What <see cref="LabelEfficiency.Run"/> measures and with which recipes.</summary>
public sealed record LabelEfficiencyOptions
{
    /// <summary>Labelled images per class for each point of the curve; null stands for the whole training split.</summary>
    public IReadOnlyList<int?> LabelsPerClass { get; init; } = [1, 10, 100];

    /// <summary>One class-balanced subset per (labels per class, seed); all three arms see the same subset.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];

    /// <summary>Fine-tuning recipe of the pretrained encoder.</summary>
    public FineTuneOptions FineTune { get; init; } = new();

    /// <summary>
    /// Recipe of the from-scratch arm (null: <see cref="LabelEfficiency.ScratchRecipe"/> of <see cref="FineTune"/>:
    /// same augmentation and early stopping, all layers at the head's rate, twice the epochs).
    /// </summary>
    public FineTuneOptions? Scratch { get; init; }

    /// <summary>Linear probe on frozen pretrained features.</summary>
    public LinearProbeOptions Probe { get; init; } = new();

    public Device? Device { get; init; }

    public IProgress<string>? Log { get; init; }
}
