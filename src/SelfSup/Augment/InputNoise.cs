using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>The corruption processes of a denoising autoencoder (Vincent et al. 2008 §2.3; Vincent et al. 2010 §4.2).</summary>
public enum NoiseKind
{
    /// <summary>Additive isotropic Gaussian noise: x̃ = x + N(0, σ²) per entry (not clipped).</summary>
    Gaussian,
    /// <summary>Masking noise: each entry is set to 0 with probability ν.</summary>
    Masking,
    /// <summary>Salt-and-pepper noise: each entry is, with probability ν, set to 0 or 1 with equal chance.</summary>
    SaltAndPepper,
}

/// <summary>
/// Corrupts float images in [0, 1] (any shape, any device) for a denoising autoencoder. Vincent et al. corrupt a fixed
/// number νd of the d entries of each input; here each entry is corrupted independently with probability ν, the same
/// fraction on average. Random draws are made on the CPU from the caller's generator (null: the global generator),
/// so a seed reproduces the corruption on any device. Level 0 returns a copy of the images.
/// </summary>
public static class InputNoise
{
    /// <summary>
    /// <paramref name="unit"/> corrupted by <paramref name="kind"/> at <paramref name="level"/>: σ for
    /// <see cref="NoiseKind.Gaussian"/>, the fraction ν of entries for the other two.
    /// </summary>
    public static Tensor Apply(Tensor unit, NoiseKind kind, double level, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(unit);
        Check(kind, level);
        using var scope = NewDisposeScope();
        var shape = unit.shape;
        Tensor result;
        switch (kind)
        {
            case NoiseKind.Gaussian:
                result = unit + randn(shape, generator: generator).to(unit.device).mul_(level);
                break;
            case NoiseKind.Masking:
                result = unit * rand(shape, generator: generator).ge(level).to(unit.dtype, unit.device);
                break;
            default:
                var hit = rand(shape, generator: generator).lt(level).to(unit.device);               // corrupted entries
                var salt = rand(shape, generator: generator).lt(0.5).to(unit.dtype, unit.device);    // 1 (salt) or 0 (pepper)
                result = where(hit, salt, unit);
                break;
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless <paramref name="level"/> fits <paramref name="kind"/>: σ ≥ 0, or ν in [0, 1].</summary>
    public static void Check(NoiseKind kind, double level)
    {
        if (kind == NoiseKind.Gaussian ? !(level >= 0 && double.IsFinite(level)) : !(level >= 0 && level <= 1))
            throw new ArgumentException(kind == NoiseKind.Gaussian
                ? $"noise_level: Gaussian noise needs σ ≥ 0, got {level}"
                : $"noise_level: {kind} noise needs a fraction ν in [0, 1], got {level}");
    }
}
