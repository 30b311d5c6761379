using SelfSup.Augment;
using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Denoising autoencoder hyperparameters (Vincent et al. 2008, "Extracting and Composing Robust Features with
/// Denoising Autoencoders"): the autoencoder's options plus the corruption.
/// </summary>
public sealed record DenoisingAutoencoderOptions : AutoencoderOptions
{
    /// <summary>Corruption of the input: masking (Vincent et al. 2008's masking noise, entries set to 0), gaussian (additive, Vincent et al. 2010 for real-valued inputs) or salt_and_pepper (entries set to 0 or 1).</summary>
    public NoiseKind Noise { get; init; } = NoiseKind.Masking;
    /// <summary>Strength of the corruption: the fraction ν of corrupted entries for masking and salt-and-pepper (Vincent et al. 2008 try ν from 10 % to 50 %; 25 % here), σ in [0, 1] pixel units for gaussian.</summary>
    public double NoiseLevel { get; init; } = 0.25;
}

/// <summary>
/// Denoising autoencoder (Vincent et al. 2008): the <see cref="Autoencoder"/> with its input corrupted first. The
/// normalised image is un-normalised to [0, 1] pixels, corrupted there (<see cref="InputNoise"/>: masking zeroes
/// pixels, salt-and-pepper sets them to black or white, Gaussian adds noise), normalised again and encoded; the loss
/// compares the reconstruction with the <b>clean</b> image, so the code must capture structure that lets the decoder
/// undo the corruption. The representation is the code of the clean image: nothing is corrupted outside training and pictures.
/// </summary>
public sealed class DenoisingAutoencoder : Autoencoder
{
    public DenoisingAutoencoder(Encoder encoder, int imageSize, int channels, ChannelStats stats, DenoisingAutoencoderOptions options)
        : base(nameof(DenoisingAutoencoder), encoder, imageSize, channels, stats, options)
    {
        InputNoise.Check(options.Noise, options.NoiseLevel);
        Noise = options.Noise;
        NoiseLevel = options.NoiseLevel;
    }

    public NoiseKind Noise { get; }

    public double NoiseLevel { get; }

    public static new MethodInfo Info { get; } = MethodInfo.Of(
        "dae", "reconstruction",
        "Vincent et al. 2008, Extracting and Composing Robust Features with Denoising Autoencoders (ICML)",
        "the autoencoder fed a corrupted image (masking, salt-and-pepper or Gaussian noise), reconstruction error against the clean image",
        AdamRecipe("Adam (Kingma and Ba 2015) at its default lr 1e-3, no weight decay, as common for autoencoders (Vincent et al. 2008 train with plain stochastic gradient descent)"),
        new DenoisingAutoencoderOptions(),
        (ctx, o) => new DenoisingAutoencoder(ctx.Encoder, ctx.ImageSize, ctx.Channels, ctx.Stats, o),
        (ctx, _) => UnaugmentedViews(ctx.Stats));

    protected override bool Corrupts => true;

    protected override Tensor Corrupt(Tensor x, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var unit = Stats.Denormalize(x);                          // [B, C, H, W] in [0, 1]
        using var noisy = InputNoise.Apply(unit, Noise, NoiseLevel, generator);
        return Stats.Normalize(noisy).MoveToOuterDisposeScope();
    }
}
