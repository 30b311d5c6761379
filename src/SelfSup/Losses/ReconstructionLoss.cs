using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>How a decoder's output is compared with the image it reconstructs.</summary>
public enum ReconstructionKind
{
    /// <summary>Squared error between the output and the normalised image (the model's input space).</summary>
    Mse,
    /// <summary>
    /// Binary cross-entropy: the output holds logits of pixel intensities, the target is the image un-normalised back
    /// to [0, 1] (a Bernoulli likelihood per pixel, as Kingma and Welling 2014 model MNIST).
    /// </summary>
    Bce,
}

/// <summary>
/// The reconstruction error of an image decoder and the space its output lives in. Images arrive normalised by the
/// run's per-channel mean and std; <see cref="ReconstructionKind.Mse"/> reconstructs them as they are, while
/// <see cref="ReconstructionKind.Bce"/> needs targets in [0, 1] and so un-normalises them (<see cref="Target"/>).
/// <see cref="ToModelInput"/> turns any output back into a normalised image for pictures.
/// </summary>
public sealed class ReconstructionLoss
{
    public ReconstructionLoss(ReconstructionKind kind, ChannelStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        Kind = kind;
        Stats = stats;
    }

    public ReconstructionKind Kind { get; }

    public ChannelStats Stats { get; }

    /// <summary>The target for a normalised image x [B, C, H, W]: x itself (MSE) or x un-normalised to [0, 1] (BCE).</summary>
    public Tensor Target(Tensor x) => Kind == ReconstructionKind.Bce ? Stats.Denormalize(x).clamp_(0, 1) : x.alias();

    /// <summary>The error of each image, summed over its C·H·W entries: [B] (a negative log-likelihood per image, up to constants).</summary>
    public Tensor PerImage(Tensor output, Tensor target)
    {
        Check(output, target);
        using var scope = NewDisposeScope();
        return Elementwise(output, target).flatten(1).sum(1).MoveToOuterDisposeScope(); // [B]
    }

    /// <summary>The error averaged over every entry of the batch (the mean squared error for MSE).</summary>
    public Tensor Mean(Tensor output, Tensor target)
    {
        using var scope = NewDisposeScope();
        var perEntry = PerImage(output, target).mean() / (output.numel() / output.shape[0]);
        return perEntry.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The error weighted per pixel: Σ w·e / (C·Σ w) over the batch, with <paramref name="weights"/> [B, 1, H, W] shared by
    /// the C channels — a context encoder's loss on the hidden region only (weights 1 there, 0 elsewhere).
    /// </summary>
    public Tensor Weighted(Tensor output, Tensor target, Tensor weights)
    {
        Check(output, target);
        if (weights.dim() != 4 || weights.shape[1] != 1 || weights.shape[0] != output.shape[0] || weights.shape[2] != output.shape[2] || weights.shape[3] != output.shape[3])
            throw new ArgumentException($"reconstruction loss: weights [{string.Join(", ", weights.shape)}] must be [B, 1, H, W] for output [{string.Join(", ", output.shape)}]");
        using var scope = NewDisposeScope();
        var error = Elementwise(output, target); // [B, C, H, W]
        var total = (error * weights).sum() / (weights.sum() * output.shape[1]).clamp_min(1e-12);
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>A decoder output as a normalised image: as it is (MSE), or the sigmoid of the logits normalised (BCE).</summary>
    public Tensor ToModelInput(Tensor output)
    {
        if (Kind != ReconstructionKind.Bce) return output.alias();
        using var unit = output.sigmoid();
        return Stats.Normalize(unit);
    }

    /// <summary>The error of every entry: squared error, or BCE of the logits against [0, 1] targets.</summary>
    Tensor Elementwise(Tensor output, Tensor target) => Kind == ReconstructionKind.Bce
        ? nn.functional.binary_cross_entropy_with_logits(output, target, reduction: nn.Reduction.None)
        : (output - target).square();

    static void Check(Tensor output, Tensor target)
    {
        if (output.dim() < 2 || !output.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"reconstruction loss: output [{string.Join(", ", output.shape)}] and target [{string.Join(", ", target.shape)}] must have one shape [B, …]");
    }
}
