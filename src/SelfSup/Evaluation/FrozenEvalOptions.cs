using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>Settings of <see cref="FrozenEvaluation"/>.</summary>
public sealed record FrozenEvalOptions
{
    /// <summary>Where encoders run and where k-NN / probe tensors live; features are gathered on the CPU in between.</summary>
    public required Device Device { get; init; }

    /// <summary>k-NN: neighbours that vote (20 in InstDisc and DINO).</summary>
    public int K { get; init; } = 20;

    /// <summary>k-NN: temperature T of the vote weights exp(sim / T) (0.07 in InstDisc and DINO).</summary>
    public double Temperature { get; init; } = 0.07;

    public LinearProbeOptions LinearProbe { get; init; } = new();

    /// <summary>Optional cap on training images (a seeded random subset) for quicker evaluations.</summary>
    public int? MaxTrainImages { get; init; }

    /// <summary>
    /// Cap on the training images of the raw-pixel baseline (null: all). Pixels are C·H·W-dimensional (3072 on
    /// CIFAR), so the full bank costs minutes on a CPU; a seeded 10,000-image subset keeps the floor cheap.
    /// </summary>
    public int? RawPixelTrainImages { get; init; } = 10_000;

    /// <summary>
    /// Also re-estimate the trained encoder's BatchNorm statistics on clean training images before scoring it
    /// (its running statistics come from augmented views). Off by default; it changes the encoder's buffers.
    /// </summary>
    public bool ReestimateTrainedBatchNorm { get; init; }

    /// <summary>Images used to re-estimate BatchNorm statistics (random init always, the trained encoder on request).</summary>
    public int BatchNormImages { get; init; } = 10_000;

    /// <summary>Batch size of feature extraction.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Seeds the training subset and the BatchNorm re-estimation subset.</summary>
    public int Seed { get; init; }

    /// <summary>Progress lines (which stage runs, the scores as they arrive); the CLI prints them.</summary>
    public IProgress<string>? Log { get; init; }
}
