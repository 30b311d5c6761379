using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>
/// One way of turning uint8 images into feature vectors — a frozen encoder or the raw pixels — under a name for
/// reports. The analysis evaluations (clustering, retrieval, robustness, OOD) score every source the same way, so
/// a trained encoder is always read next to its random-init twin and the pixels.
/// </summary>
public sealed class MetricsFeatureSource
{
    readonly Func<Tensor, Tensor> embed;

    MetricsFeatureSource(string name, Func<Tensor, Tensor> embed)
    {
        Name = name;
        this.embed = embed;
    }

    /// <summary>"encoder", "random_init", "raw_pixels" or a caller's name; used as the JSON key.</summary>
    public string Name { get; }

    /// <summary>A frozen encoder in eval mode under no_grad, fed <paramref name="stats"/>-normalised images on <paramref name="device"/>.</summary>
    public static MetricsFeatureSource FromEncoder(string name, Encoder encoder, ChannelStats stats, Device device) =>
        new(name, images =>
        {
            using var modes = new TrainingModeSnapshot(encoder);
            encoder.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var z = encoder.forward(stats.ToModelInput(images, device)); // [B, D]
            return z.to(ScalarType.Float32).cpu().MoveToOuterDisposeScope();
        });

    /// <summary>The normalised pixels, flattened: the floor every learned representation should beat.</summary>
    public static MetricsFeatureSource RawPixels(ChannelStats stats, string name = "raw_pixels") =>
        new(name, images =>
        {
            using var scope = NewDisposeScope();
            var x = stats.ToModelInput(images, images.device); // [B, C, H, W]
            return x.reshape(x.shape[0], -1).cpu().MoveToOuterDisposeScope();
        });

    /// <summary>
    /// The three standard sources: the trained encoder, its random-init twin with BatchNorm statistics re-estimated
    /// on <paramref name="train"/> (this changes the twin's buffers), and raw pixels.
    /// </summary>
    public static IReadOnlyList<MetricsFeatureSource> Standard(Encoder trained, Encoder randomInit, ImageDataset train,
        ChannelStats stats, Device device, int batchNormImages = 10_000, int seed = 0)
    {
        BatchNormReestimation.Run(randomInit, train, stats, device, batchNormImages, seed: seed);
        return [FromEncoder("encoder", trained, stats, device), FromEncoder("random_init", randomInit, stats, device), RawPixels(stats)];
    }

    /// <summary>Features of one uint8 batch [B, C, H, W], float32 [B, D] on the CPU.</summary>
    public Tensor Embed(Tensor images) => embed(images);

    /// <summary>Features of all images [N, C, H, W] (uint8), float32 [N, D] on the CPU, a batch at a time.</summary>
    public Tensor Extract(Tensor images, int batchSize = 512, Func<Tensor, long, Tensor>? transform = null) =>
        Extract(images.shape[0], (start, count) => images.narrow(0, start, count), batchSize, transform);

    /// <summary>Features of every image of <paramref name="data"/> (in memory or read from its file), float32 [N, D] on the CPU.</summary>
    public Tensor Extract(ImageDataset data, int batchSize = 512, Func<Tensor, long, Tensor>? transform = null) =>
        Extract(data.Count, data.Range, batchSize, transform);

    Tensor Extract(long n, Func<long, long, Tensor> rows, int batchSize, Func<Tensor, long, Tensor>? transform)
    {
        if (batchSize <= 0) throw new ArgumentException($"feature extraction batch size must be positive, got {batchSize}");
        if (n == 0) throw new ArgumentException($"{Name}: no images to extract features from");
        Tensor? output = null;
        using var meter = WorkProgress.Start("features", n, "images");
        try
        {
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = rows(start, Math.Min(batchSize, n - start)); // [B, C, H, W] uint8
                if (transform is not null) batch = transform(batch, start);
                var z = Embed(batch); // [B, D]
                output ??= empty([n, z.shape[1]], ScalarType.Float32).MoveToOuterDisposeScope();
                output.narrow(0, start, z.shape[0]).copy_(z);
                meter.Advance(z.shape[0]);
            }
        }
        catch
        {
            output?.Dispose();
            throw;
        }
        return output!;
    }
}
