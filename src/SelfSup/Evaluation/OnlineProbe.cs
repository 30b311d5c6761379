using System.Diagnostics;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>One online probe evaluation: k-NN accuracies (percent) and how long it took.</summary>
public sealed record OnlineProbeResult(double KnnTop1, double KnnTop5, double Seconds);

/// <summary>
/// A k-NN probe run during pretraining to watch representation quality without stopping the run: frozen
/// features of a labelled bank (training split) vote for the class of held-out test images (weighted k-NN, as in
/// <see cref="Knn"/>). Features are extracted in eval mode under no_grad by <see cref="Features.Extract"/>, so
/// labels never reach the encoder's gradients, its BatchNorm statistics or the random streams of training.
/// </summary>
public sealed class OnlineProbe : IDisposable
{
    readonly ImageDataset bank, test;
    readonly ChannelStats stats;
    readonly int numClasses, k;

    /// <summary>Takes ownership of <paramref name="bank"/> and <paramref name="test"/> (both labelled).</summary>
    public OnlineProbe(ImageDataset bank, ImageDataset test, ChannelStats stats, int k = 20)
    {
        if (bank.Labels is null) throw new ArgumentException($"online probe: bank dataset '{bank.Name}' has no labels");
        if (test.Labels is null) throw new ArgumentException($"online probe: test dataset '{test.Name}' has no labels");
        if (bank.Count == 0 || test.Count == 0) throw new ArgumentException($"online probe: empty split (bank {bank.Count}, test {test.Count} images)");
        if (bank.Channels != test.Channels || bank.Height != test.Height)
            throw new ArgumentException($"online probe: bank images are {bank.Channels}×{bank.Height} but test images {test.Channels}×{test.Height}");
        if (k <= 0) throw new ArgumentException($"online probe: k must be positive, got {k}");
        this.bank = bank;
        this.test = test;
        this.stats = stats;
        this.k = k;
        numClasses = Math.Max(bank.NumClasses, test.NumClasses);
    }

    public int BankSize => bank.Count;
    public int TestSize => test.Count;

    /// <summary>
    /// The probe a run config asks for: seeded subsets of at most <see cref="RunConfig.OnlineProbeBank"/> training
    /// and <see cref="RunConfig.OnlineProbeTest"/> test images of <see cref="RunConfig.OnlineProbeData"/> (default:
    /// the pretraining data), at the run's image size and channels, normalised with <paramref name="stats"/> (the
    /// run's statistics; null: measured on the bank).
    /// </summary>
    public static OnlineProbe FromConfig(RunConfig config, ChannelStats? stats, DatasetOptions? dataOptions = null)
    {
        var name = string.IsNullOrWhiteSpace(config.OnlineProbeData) ? config.Data : config.OnlineProbeData;
        if (config.OnlineProbeBank <= 0 || config.OnlineProbeTest <= 0)
            throw new ArgumentException($"online_probe_bank and online_probe_test must be positive, got {config.OnlineProbeBank} and {config.OnlineProbeTest}");
        var ownData = string.IsNullOrWhiteSpace(config.OnlineProbeData);
        var options = config.DecodingOf(dataOptions ?? new DatasetOptions()) with
        {
            ImageSize = config.ImageSize > 0 ? config.ImageSize : dataOptions?.ImageSize,
            Channels = config.Channels > 0 ? config.Channels : dataOptions?.Channels,
            // The run's own (unlabeled) data is probed through its label files and its test folder.
            Labels = ownData ? config.Labels : null,
            TestLabels = ownData ? config.TestLabels : null,
            TestData = ownData ? config.TestData : null,
        };
        var bank = Subsample(Datasets.Load(name, "train", options), config.OnlineProbeBank, (int)config.Seed);
        try
        {
            var test = Subsample(Datasets.Load(name, "test", options), config.OnlineProbeTest, (int)config.Seed + 1);
            return new OnlineProbe(bank, test, stats ?? ChannelStats.Measure(bank));
        }
        catch
        {
            bank.Dispose();
            throw;
        }
    }

    /// <summary>k-NN top-1/top-5 of <paramref name="encoder"/>'s frozen features; its train/eval modes are restored.</summary>
    public OnlineProbeResult Evaluate(Encoder encoder, Device device)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bankFeatures = Features.Extract(encoder, bank, stats, device); // [N_bank, D], CPU
        var testFeatures = Features.Extract(encoder, test, stats, device); // [N_test, D], CPU
        var knn = Knn.Evaluate(bankFeatures.to(device), bank.Labels!, testFeatures.to(device), test.Labels!, numClasses, k);
        return new OnlineProbeResult(knn.Top1, knn.Top5, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A seeded subset of at most <paramref name="limit"/> rows; disposes <paramref name="data"/> when it copies.</summary>
    static ImageDataset Subsample(ImageDataset data, int limit, int seed)
    {
        if (data.Count <= limit) return data;
        var order = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        var subset = data.Subset(order[..limit]);
        data.Dispose();
        return subset;
    }

    public void Dispose()
    {
        bank.Dispose();
        test.Dispose();
    }
}
