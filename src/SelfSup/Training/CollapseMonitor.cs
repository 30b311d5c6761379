using SelfSup.Encoders;
using SelfSup.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>The monitors of one batch of two-view embeddings (see <see cref="Monitors"/>).</summary>
/// <param name="Std">Mean per-dimension std of the L2-normalised embeddings of both views.</param>
/// <param name="RankMe">Effective rank of the embeddings of both views, in [1, min(2B, D)].</param>
/// <param name="Alignment">E‖f(x) − f(x⁺)‖² between the two views of each image (lower: more invariant).</param>
/// <param name="Uniformity">log E exp(−2‖f(x) − f(y)‖²), averaged over the two views (lower: more spread).</param>
/// <param name="Collapsed">Whether <see cref="Std"/> fell below the monitor's threshold.</param>
public sealed record EmbeddingHealth(double Std, double RankMe, double Alignment, double Uniformity, bool Collapsed);

/// <summary>
/// Watches an encoder for collapse during pretraining. It embeds the two views of the current batch with the
/// encoder in eval mode under no_grad — running BatchNorm statistics are read, not updated, no random numbers are
/// drawn and nothing reaches the autograd graph — so monitoring never changes the training trajectory.
/// </summary>
public sealed class CollapseMonitor
{
    /// <param name="dimension">Embedding width D.</param>
    /// <param name="stdThreshold">Warn below this std of L2-normalised embeddings; null: <see cref="DefaultThreshold"/>(D).</param>
    public CollapseMonitor(int dimension, double? stdThreshold = null)
    {
        if (dimension <= 0) throw new ArgumentException($"collapse monitor: embedding dimension must be positive, got {dimension}");
        if (stdThreshold is < 0 or double.NaN)
            throw new ArgumentException($"collapse_std_threshold must be ≥ 0, got {stdThreshold}");
        Dimension = dimension;
        StdThreshold = stdThreshold ?? DefaultThreshold(dimension);
    }

    public int Dimension { get; }
    public double StdThreshold { get; }

    /// <summary>
    /// 0.1/√D. Well-spread embeddings give ≈ 1/√D, a constant encoder 0. Post-ReLU (non-negative) pooled features
    /// sit well below 1/√D even when healthy, so the threshold is an order of magnitude under the ideal value
    /// rather than a fraction of it.
    /// </summary>
    public static double DefaultThreshold(int dimension) => 0.1 / Math.Sqrt(dimension);

    /// <summary>The monitors of tensors already embedded: <paramref name="a"/>, <paramref name="b"/> are [B, D], row i of each from the same image.</summary>
    public EmbeddingHealth Measure(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var both = cat([a, b], 0); // [2B, D]
        var std = Monitors.StdOfL2Normalized(both).item<float>();
        var rank = Monitors.RankMe(both).item<float>();
        var alignment = Monitors.Alignment(a, b).item<float>();
        var uniformity = (Monitors.Uniformity(a).item<float>() + Monitors.Uniformity(b).item<float>()) / 2;
        return new EmbeddingHealth(std, rank, alignment, uniformity, std < StdThreshold);
    }

    /// <summary>Embeds two views [B, C, H, W] with <paramref name="encoder"/> in eval mode, then <see cref="Measure(Tensor, Tensor)"/>; train/eval modes are restored.</summary>
    public EmbeddingHealth Measure(Encoder encoder, Tensor view0, Tensor view1)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using (new TrainingModeSnapshot(encoder))
        {
            encoder.eval();
            var a = encoder.forward(view0); // [B, D]
            var b = encoder.forward(view1); // [B, D]
            return Measure(a, b);
        }
    }
}
