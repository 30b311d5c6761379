using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// A method's pretext score on held-out images: the score's name, accuracy and chance level (percent), how many
/// predictions made it, and the method's further named scores (<see cref="IPretextExtraScores"/>; null for others).
/// </summary>
public sealed record PretextScore(string Metric, double Accuracy, double Chance, long Predictions, IReadOnlyDictionary<string, double>? Extra = null);

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
        // The extra scores draw from a generator of the same seed, so they see the draws the accuracy saw.
        var extra = task as IPretextExtraScores;
        using var extraGenerator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        var sums = new double[extra?.ExtraScoreNames.Count ?? 0];
        var counts = new long[sums.Length];
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
            if (extra is null) continue;
            var scores = extra.ExtraScores(x, extraGenerator);
            if (scores.Length != sums.Length)
                throw new InvalidOperationException($"method '{method.GetName()}': ExtraScores returned {scores.Length} scores; expected {sums.Length} ({string.Join(", ", extra.ExtraScoreNames)})");
            for (var i = 0; i < sums.Length; i++)
            {
                sums[i] += scores[i].Sum;
                counts[i] += scores[i].Count;
            }
        }
        // A score with no items (none in the data) is left out rather than written as NaN, which JSON cannot hold.
        var named = extra?.ExtraScoreNames.Select((name, i) => (name, i)).Where(p => counts[p.i] > 0)
            .ToDictionary(p => p.name, p => sums[p.i] / counts[p.i]);
        return new PretextScore(task.PretextMetric, 100.0 * correct / total, 100.0 * task.PretextChance, total, named);
    }
}
