using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>The training images in CIE Lab, for methods that count colour statistics before training (colorization's class rebalancing, split-brain's chance levels).</summary>
public static class TrainingLab
{
    /// <summary>Images converted per chunk.</summary>
    const int Chunk = 500;

    /// <summary>
    /// Calls <paramref name="visit"/> with Lab [b, 3, H, W] on <paramref name="device"/> of <paramref name="limit"/>
    /// training images spread over the set (all of them if fewer; <see cref="ImageDataset.SpreadRows"/>, so a set stored
    /// class by class is counted over all its classes), in chunks, without gradients; each chunk's tensors are freed
    /// after its call.
    /// </summary>
    public static void ForEachChunk(EpochContext context, ChannelStats stats, int limit, Device device, Action<Tensor> visit)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(visit);
        using var noGrad = no_grad();
        var rows = ImageDataset.SpreadRows(context.Dataset.Count, Math.Min(context.Dataset.Count, limit));
        for (var start = 0; start < rows.Length; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var images = context.Stats.ToModelInput(context.Dataset.Rows(rows.AsSpan(start, Math.Min(Chunk, rows.Length - start))), device);
            visit(LightnessEncoder.Lab(images, stats));
        }
    }
}
