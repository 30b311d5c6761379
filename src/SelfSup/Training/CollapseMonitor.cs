using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>The monitors of one batch of two-view embeddings (see <see cref="Monitors"/>).</summary>
/// <param name="Std">Mean per-dimension std of the L2-normalised embeddings of both views.</param>
/// <param name="RankMe">Effective rank of the embeddings of both views, in [1, min(2B, D)].</param>
/// <param name="Alignment">E‖f(x) − f(x⁺)‖² between the two views of each image (lower: more invariant).</param>
/// <param name="Uniformity">log E exp(−2‖f(x) − f(y)‖²), averaged over the two views (lower: more spread).</param>
/// <param name="Collapsed">Whether <see cref="Std"/> fell below the monitor's threshold.</param>
public sealed record EmbeddingHealth(double Std, double RankMe, double Alignment, double Uniformity, bool Collapsed)
{
    /// <summary>
    /// Whether RankMe fell below the monitor's rank threshold: the embeddings still spread, but along only a few
    /// directions (dimensional collapse, which the std monitor misses).
    /// </summary>
    public bool DimensionalCollapse { get; init; }

    /// <summary>Some embedding entry was NaN or ±∞ (the weights diverged): nothing was measured and every number is NaN.</summary>
    public bool NonFinite { get; init; }
}

/// <summary>
/// Watches an encoder for collapse during pretraining. It embeds the two views of the current batch under no_grad
/// with batch-statistics BatchNorm (as the loss sees them), restores the running statistics afterwards, draws no
/// random numbers and adds nothing to the autograd graph, so monitoring never changes the training trajectory.
/// </summary>
public sealed class CollapseMonitor
{
    /// <param name="dimension">Embedding width D.</param>
    /// <param name="stdThreshold">Warn below this std of L2-normalised embeddings; null: <see cref="DefaultThreshold"/>(D).</param>
    /// <param name="rankFraction">Warn when RankMe &lt; this fraction of min(D, 2B); 0 turns the rank check off.</param>
    public CollapseMonitor(int dimension, double? stdThreshold = null, double rankFraction = DefaultRankFraction)
    {
        if (!(rankFraction >= 0 && rankFraction <= 1))
            throw new ArgumentException($"collapse_rank_fraction must be in [0, 1], got {rankFraction}");
        RankFraction = rankFraction;
        if (dimension <= 0) throw new ArgumentException($"collapse monitor: embedding dimension must be positive, got {dimension}");
        if (stdThreshold is < 0 or double.NaN)
            throw new ArgumentException($"collapse_std_threshold must be ≥ 0, got {stdThreshold}");
        Dimension = dimension;
        StdThreshold = stdThreshold ?? DefaultThreshold(dimension);
    }

    public int Dimension { get; }
    public double StdThreshold { get; }
    public double RankFraction { get; }

    /// <summary>
    /// 0.1: healthy runs measured here keep RankMe near 30 % of D (ConvNet, 64-d: 18–22), while a run pushed into
    /// dimensional collapse (LARS at lr 1000) fell to 4 of 64; a tenth of the attainable rank separates the two.
    /// </summary>
    public const double DefaultRankFraction = 0.1;

    /// <summary>
    /// 0.1/√D. Well-spread embeddings give ≈ 1/√D, a constant encoder 0. Post-ReLU (non-negative) pooled features
    /// sit well below 1/√D even when healthy, so the threshold is an order of magnitude under the ideal value
    /// rather than a fraction of it.
    /// </summary>
    public static double DefaultThreshold(int dimension) => 0.1 / Math.Sqrt(dimension);

    /// <summary>
    /// The monitors of tensors already embedded: <paramref name="a"/>, <paramref name="b"/> are [B, D], row i of each
    /// from the same image. With <paramref name="b"/> null (one-view methods) the monitors are of <paramref name="a"/>
    /// alone and alignment is NaN. Non-finite embeddings give a <see cref="EmbeddingHealth.NonFinite"/> result
    /// instead of failing inside the SVD.
    /// </summary>
    public EmbeddingHealth Measure(Tensor a, Tensor? b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var both = b is null ? a : cat([a, b], 0); // [2B, D] (or [B, D])
        if (!both.isfinite().all().item<bool>()) return new EmbeddingHealth(double.NaN, double.NaN, double.NaN, double.NaN, false) { NonFinite = true };
        var std = Monitors.StdOfL2Normalized(both).item<float>();
        var rank = Monitors.RankMe(both).item<float>();
        var alignment = b is null ? double.NaN : Monitors.Alignment(a, b).item<float>();
        var uniformity = b is null ? Monitors.Uniformity(a).item<float>() : (Monitors.Uniformity(a).item<float>() + Monitors.Uniformity(b).item<float>()) / 2;
        var attainable = Math.Min(Dimension, both.shape[0]); // RankMe ≤ min(D, rows)
        return new EmbeddingHealth(std, rank, alignment, uniformity, std < StdThreshold)
        {
            DimensionalCollapse = RankFraction > 0 && rank < RankFraction * attainable,
        };
    }

    /// <summary>
    /// Embeds two views [B, C, H, W] with <paramref name="encoder"/> as the loss sees them — BatchNorm layers that
    /// are training normalise with the statistics of the batch — then <see cref="Measure(Tensor, Tensor)"/>.
    /// Every other layer runs in eval mode, so dropout-like layers draw no random numbers; the running BatchNorm
    /// statistics the forward pass updates are put back bit for bit, and train/eval modes are restored.
    /// </summary>
    /// <remarks>
    /// Eval mode throughout would read the running statistics instead; right after large updates (early steps, high
    /// learning rates) those lag the weights and make a healthy encoder look collapsed.
    /// </remarks>
    public EmbeddingHealth Measure(Encoder encoder, Tensor view0, Tensor? view1)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batchNorms = encoder.modules().Where(m => m.training && HasRunningStats(m)).ToList();
        var buffers = encoder.named_buffers().Select(b => (b.buffer, saved: b.buffer.clone())).ToList();
        using (new TrainingModeSnapshot(encoder))
        {
            encoder.eval();
            foreach (var m in batchNorms) m.train(true);
            try
            {
                var a = encoder.forward(view0); // [B, D]
                var b = view1 is null ? null : encoder.forward(view1); // [B, D]
                return Measure(a, b);
            }
            finally
            {
                foreach (var (buffer, saved) in buffers) buffer.copy_(saved);
            }
        }
    }

    static bool HasRunningStats(nn.Module m) => m.named_buffers(recurse: false).Any(b => b.name == "running_mean");
}
