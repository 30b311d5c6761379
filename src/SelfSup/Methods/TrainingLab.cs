using SelfSup.Augment;
using SelfSup.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>The training images in CIE Lab, for methods that count colour statistics before training (colorization's class rebalancing, split-brain's chance levels).</summary>
public static class TrainingLab
{
    /// <summary>Images converted per chunk.</summary>
    const int Chunk = 500;

    /// <summary>
    /// Calls <paramref name="visit"/> with Lab [b, 3, H, W] on <paramref name="device"/> of the first
    /// <paramref name="limit"/> training images (all of them if fewer), in chunks, without gradients; each chunk's
    /// tensors are freed after its call.
    /// </summary>
    public static void ForEachChunk(EpochContext context, ChannelStats stats, int limit, Device device, Action<Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(visit);
        using var noGrad = no_grad();
        var n = Math.Min(context.Dataset.Count, limit);
        for (var start = 0; start < n; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var images = context.Stats.ToModelInput(context.Dataset.Range(start, Math.Min(Chunk, n - start)), device);
            visit(LightnessEncoder.Lab(images, stats));
        }
    }
}
