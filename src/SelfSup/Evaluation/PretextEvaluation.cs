using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>A method's pretext score on held-out images: the score's name, accuracy and chance level (percent), and how many predictions made it.</summary>
public sealed record PretextScore(string Metric, double Accuracy, double Chance, long Predictions);

/// <summary>
/// Scores a pretext-task method (<see cref="IPretextTask"/>) on held-out images: the first measure the pretext
/// literature reports (e.g. Gidaris et al. 2018's rotation accuracy), read beside the k-NN and linear probes.
/// </summary>
public static class PretextEvaluation
{
    /// <summary>
    /// The pretext accuracy of <paramref name="method"/> over every image of <paramref name="data"/>, normalised with
    /// <paramref name="stats"/> and scored in batches on <paramref name="device"/>, random draws from one CPU generator
    /// seeded with <paramref name="seed"/>; null when the method has no pretext task.
    /// </summary>
    public static PretextScore? Run(SslMethod method, ImageDataset data, ChannelStats stats, Device device, long seed, int batchSize = 256)
    {
        if (method is not IPretextTask task) return null;
        if (batchSize <= 0) throw new ArgumentException($"pretext batch size must be positive, got {batchSize}");
        if (data.Count == 0) throw new ArgumentException($"dataset '{data.Name}': the pretext score needs at least one image");
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        long correct = 0, total = 0;
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, data.Count - start);
            var x = stats.ToModelInput(data.Range(start, n), device); // [B, C, H, W]
            var (c, t) = task.PretextScore(x, generator);
            if (c < 0 || t <= 0 || c > t)
                throw new InvalidOperationException($"method '{method.GetName()}': PretextScore returned {c} correct of {t}; expected 0 ≤ correct ≤ total, total > 0");
            correct += c;
            total += t;
        }
        return new PretextScore(task.PretextMetric, 100.0 * correct / total, 100.0 * task.PretextChance, total);
    }
}
