using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>
/// Replaces every BatchNorm's running mean/variance with their exact average over forward passes on training
/// images. A randomly initialised network still holds its init-time statistics (mean 0, var 1), which makes its
/// eval-mode features degenerate; re-estimating them is what makes the random-init baseline a fair one.
/// </summary>
public static class BatchNormReestimation
{
    /// <summary>Whether <paramref name="encoder"/> has BatchNorm statistics to re-estimate.</summary>
    public static bool Applies(Encoder encoder) => encoder.modules().OfType<BatchNorm>().Any(b => b.track_running_stats);

    /// <summary>
    /// Resets and re-estimates the statistics on a seeded random subset of up to <paramref name="maxImages"/>
    /// images; parameters are not touched. Only the BatchNorms run in train mode (dropout and the like stay off).
    /// Leaves the encoder in eval mode. Returns the number of BatchNorm modules updated.
    /// </summary>
    public static int Run(Encoder encoder, ImageDataset data, ChannelStats stats, Device device,
        int maxImages = 10_000, int batchSize = 256, int seed = 0)
    {
        if (maxImages <= 0) throw new ArgumentException($"BN re-estimation maxImages must be positive, got {maxImages}");
        if (batchSize <= 1) throw new ArgumentException($"BN re-estimation batch size must be at least 2, got {batchSize}");
        if (data.Count == 0) throw new ArgumentException($"dataset '{data.Name}' is empty: no images to estimate BatchNorm statistics on");

        var norms = encoder.modules().OfType<BatchNorm>().Where(b => b.track_running_stats).ToList();
        encoder.eval();
        if (norms.Count == 0) return 0;

        var momenta = norms.Select(b => b.momentum).ToList();
        using var noGrad = no_grad();
        try
        {
            foreach (var bn in norms)
            {
                bn.reset_running_stats();
                bn.train();
            }
            using var rows = SubsetRows(data.Count, maxImages, seed); // [n], int64
            var n = rows.shape[0];
            var k = 0;
            using var meter = WorkProgress.Start("BatchNorm statistics", n, "images");
            for (long start = 0; start < n; start += batchSize, k++)
            {
                using var scope = NewDisposeScope();
                var count = Math.Min(batchSize, n - start);
                // A single image gives no variance (and BatchNorm rejects it): fold a trailing 1-row batch away.
                if (count < 2) break;
                var images = data.Rows(rows.narrow(0, start, count).data<long>().ToArray()); // [B, C, H, W] uint8
                // Running stat ← (1 − m)·stat + m·batch stat with m = 1/(k+1) is the exact mean over batches.
                foreach (var bn in norms) bn.momentum = 1.0 / (k + 1);
                encoder.forward(stats.ToModelInput(images, device));
                meter.Advance(count);
            }
        }
        finally
        {
            for (var i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
            encoder.eval();
        }
        return norms.Count;
    }

    /// <summary>All rows in order when they fit, else a seeded random subset of <paramref name="max"/> rows.</summary>
    internal static Tensor SubsetRows(int count, int max, int seed)
    {
        if (count <= max) return arange(count, dtype: ScalarType.Int64);
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var perm = randperm(count, generator: g); // [count]
        return perm.narrow(0, 0, max).sort().Values.MoveToOuterDisposeScope();
    }
}
