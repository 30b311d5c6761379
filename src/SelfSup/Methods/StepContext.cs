using SelfSup.Augment;
using SelfSup.Data;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>Where the run stands at one step.</summary>
/// <param name="Step">0-based index of this optimizer step.</param>
/// <param name="TotalSteps">Steps of the whole schedule (all epochs).</param>
/// <param name="Epoch">0-based epoch of this step.</param>
/// <param name="StepsPerEpoch">Optimizer steps per epoch.</param>
/// <param name="Collectives">Communication with other processes; <see cref="SingleProcess"/> by default.</param>
public sealed record StepContext(long Step, long TotalSteps, int Epoch, int StepsPerEpoch, ICollectives Collectives)
{
    /// <summary>A context for using a method outside the Trainer (tests, tools): step 0 of 1, one process.</summary>
    public static StepContext Single(long step = 0, long totalSteps = 1) =>
        new(step, Math.Max(totalSteps, step + 1), 0, (int)Math.Max(totalSteps, step + 1), SingleProcess.Instance);

    /// <summary>Fraction of the schedule done before this step, in [0, 1).</summary>
    public double Progress => TotalSteps <= 0 ? 0 : (double)Step / TotalSteps;
}

/// <summary>What <see cref="SslMethod.BeforeEpoch"/> sees.</summary>
/// <param name="Epoch">0-based epoch about to run (or to continue).</param>
/// <param name="StartBatch">First batch of the epoch still to run: 0 at a normal start, &gt; 0 when resuming mid-epoch.</param>
/// <param name="Dataset">The whole training dataset (uint8 images, rows as the loader indexes them).</param>
/// <param name="Stats">The run's normalisation statistics (to turn uint8 images into model input).</param>
/// <param name="Device">The training device.</param>
/// <param name="Seed">The run's seed, for anything the hook draws at random.</param>
/// <param name="Step">Optimizer steps done before this call.</param>
/// <param name="TotalSteps">Steps of the whole schedule.</param>
public sealed record EpochContext(int Epoch, int StartBatch, ImageDataset Dataset, ChannelStats Stats, Device Device, long Seed, long Step, long TotalSteps);
