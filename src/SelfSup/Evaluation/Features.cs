using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>Frozen feature matrices that the k-NN classifier and the linear probe consume.</summary>
public static class Features
{
    /// <summary>
    /// Embeddings z = f(x) of every image, float32 [N, D] on the CPU. The encoder runs in eval mode under no_grad
    /// (running BatchNorm statistics, no dropout); its previous train/eval modes are restored afterwards.
    /// </summary>
    public static Tensor Extract(Encoder encoder, ImageDataset data, ChannelStats stats, Device device, int batchSize = 512)
    {
        if (batchSize <= 0) throw new ArgumentException($"feature extraction batch size must be positive, got {batchSize}");
        using var modes = new TrainingModeSnapshot(encoder);
        encoder.eval();
        using var noGrad = no_grad();
        var output = empty([data.Count, encoder.EmbeddingDim], ScalarType.Float32); // [N, D], CPU
        using var meter = WorkProgress.Start("features", data.Count, "images");
        try
        {
            for (long start = 0; start < data.Count; start += batchSize)
            {
                // One scope per batch; nesting scopes per layer raised peak memory.
                using var scope = NewDisposeScope();
                var n = Math.Min(batchSize, data.Count - start);
                var x = stats.ToModelInput(data.Range(start, n), device); // [B, C, H, W]
                var z = encoder.forward(x); // [B, D]
                if (z.dim() != 2 || z.shape[1] != encoder.EmbeddingDim)
                    throw new InvalidOperationException(
                        $"encoder '{encoder.GetName()}' returned [{string.Join(", ", z.shape)}], expected [{n}, {encoder.EmbeddingDim}] (EmbeddingDim)");
                output.narrow(0, start, n).copy_(z.to(ScalarType.Float32));
                meter.Advance(n);
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }
        return output;
    }

    /// <summary>
    /// The normalised pixels themselves as features, float32 [N, C·H·W] on the CPU: the floor any learned
    /// representation should beat. Filled batch by batch so the peak memory is the output alone.
    /// </summary>
    public static Tensor RawPixels(ImageDataset data, ChannelStats stats, int batchSize = 1024)
    {
        if (batchSize <= 0) throw new ArgumentException($"raw pixel batch size must be positive, got {batchSize}");
        var dim = (long)data.Channels * data.Height * data.Width;
        var output = empty([data.Count, dim], ScalarType.Float32); // [N, C·H·W]
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, data.Count - start);
            var x = stats.ToModelInput(data.Range(start, n), output.device); // [B, C, H, W]
            output.narrow(0, start, n).copy_(x.reshape(n, dim));
        }
        return output;
    }
}
