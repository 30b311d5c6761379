using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>What <see cref="LabelEfficiency.Run"/> measures and with which recipes.</summary>
public sealed record LabelEfficiencyOptions
{
    /// <summary>
    /// The points of the curve: labelled images per class, a percentage of the training labels or all of them
    /// (<see cref="LabelBudget"/>; an int converts to a count, null to all).
    /// </summary>
    public IReadOnlyList<LabelBudget> LabelsPerClass { get; init; } = [1, 10, 100];

    /// <summary>One subset per (label budget, seed); all three arms see the same subset.</summary>
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

    /// <summary>
    /// Learning-rate multipliers tried for the scratch and fine-tuning arms alike (each recipe's lr × m); per subset
    /// and arm, the run with the best validation top-1 (its held-out images, never the test split) is scored. A
    /// subset too small to hold out any image uses the recipe's own rate. [1]: no search.
    /// </summary>
    public IReadOnlyList<double> LrGrid { get; init; } = [1.0];

    public Device? Device { get; init; }

    public IProgress<string>? Log { get; init; }
}
