using SelfSup.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>Which <see cref="ImageDecoder"/> a method builds.</summary>
public enum DecoderKind
{
    /// <summary>The mirror of the encoder: <see cref="Mlp"/> for the <c>mlp</c> encoder, <see cref="Conv"/> for every other.</summary>
    Auto,
    /// <summary><see cref="ConvImageDecoder"/>: a Linear to a small map, then transposed convolutions doubling its side.</summary>
    Conv,
    /// <summary><see cref="MlpImageDecoder"/>: fully connected layers to every pixel.</summary>
    Mlp,
}

/// <summary>
/// Decodes a vector [B, K] (an autoencoder's code, a VAE's latent z, a context embedding to inpaint from) into an
/// image [B, C, S, S] of the run's size and channels. The output is unbounded: the caller reads it as normalised pixels
/// or as logits of intensities in [0, 1] (see <see cref="Losses.ReconstructionLoss"/>).
/// </summary>
public abstract class ImageDecoder : nn.Module<Tensor, Tensor>
{
    protected ImageDecoder(string name, int inputDim, int channels, int imageSize) : base(name)
    {
        if (inputDim < 1) throw new ArgumentException($"{name}.input_dim: expected ≥ 1, got {inputDim}");
        if (channels < 1) throw new ArgumentException($"{name}.channels: expected ≥ 1, got {channels}");
        if (imageSize < 1) throw new ArgumentException($"{name}.image_size: expected ≥ 1, got {imageSize}");
        InputDim = inputDim;
        Channels = channels;
        ImageSize = imageSize;
    }

    /// <summary>Size K of the input vector.</summary>
    public int InputDim { get; }

    /// <summary>Channels C of the output image.</summary>
    public int Channels { get; }

    /// <summary>Side S of the (square) output image.</summary>
    public int ImageSize { get; }

    /// <summary>
    /// Builds the decoder <paramref name="kind"/> (<see cref="DecoderKind.Auto"/>: the mirror of <paramref name="encoder"/>);
    /// <paramref name="width"/> 0 picks the kind's default (32 for the conv decoder, 256 for the MLP).
    /// </summary>
    public static ImageDecoder Create(DecoderKind kind, Encoder encoder, int inputDim, int channels, int imageSize, int width = 0)
    {
        if (width < 0) throw new ArgumentException($"decoder_width: expected 0 (the decoder's default) or a positive width, got {width}");
        return Resolve(kind, encoder) switch
        {
            DecoderKind.Mlp => new MlpImageDecoder(inputDim, channels, imageSize, width == 0 ? 256 : width),
            _ => new ConvImageDecoder(inputDim, channels, imageSize, width == 0 ? 32 : width),
        };
    }

    /// <summary><paramref name="kind"/>, with <see cref="DecoderKind.Auto"/> resolved against <paramref name="encoder"/>.</summary>
    public static DecoderKind Resolve(DecoderKind kind, Encoder encoder) =>
        kind != DecoderKind.Auto ? kind : encoder is MlpEncoder ? DecoderKind.Mlp : DecoderKind.Conv;

    /// <summary>Throws unless <paramref name="z"/> is [B, <see cref="InputDim"/>].</summary>
    protected void CheckInput(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != InputDim)
            throw new ArgumentException($"{GetName()} input: expected [B, {InputDim}], got [{string.Join(", ", z.shape)}]");
    }
}

/// <summary>
/// A DCGAN-style decoder (Radford et al. 2016): Linear → ReLU to a map of side s₀ = ⌈S / 2ⁿ⌉, then n stages of
/// 4 × 4 transposed convolution with stride 2 → BatchNorm → ReLU, each doubling the side and halving the channels
/// (from w · 2^min(n − 1, 3) down to w), and a 3 × 3 convolution to C channels. n = max(1, ⌊log₂(S / 4)⌋), so s₀ is 4
/// to 7 px: 28 px → 7 → 14 → 28; 32 px → 4 → 8 → 16 → 32. Sides that are not s₀ · 2ⁿ are centre-cropped to S.
/// </summary>
public sealed class ConvImageDecoder : ImageDecoder
{
    readonly Linear fc;
    readonly Sequential upsample;
    readonly int startChannels;

    /// <param name="inputDim">Size K of the input vector.</param>
    /// <param name="channels">Channels C of the image.</param>
    /// <param name="imageSize">Side S of the image.</param>
    /// <param name="width">Channels w of the last stage.</param>
    public ConvImageDecoder(int inputDim, int channels, int imageSize, int width = 32) : base(nameof(ConvImageDecoder), inputDim, channels, imageSize)
    {
        if (width < 1) throw new ArgumentException($"ConvImageDecoder.width: expected ≥ 1, got {width}");
        Stages = Math.Max(1, (int)Math.Floor(Math.Log2(imageSize / 4.0)));
        StartSide = (imageSize + (1 << Stages) - 1) >> Stages;
        startChannels = width << Math.Min(Stages - 1, 3);
        fc = nn.Linear(inputDim, (long)startChannels * StartSide * StartSide);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var c = startChannels;
        for (var i = 1; i <= Stages; i++)
        {
            var next = Math.Max(width, c / 2);
            layers.Add(($"up{i}", ConvolutionGuard.ConvTranspose2d(c, next, 4, stride: 2, padding: 1, bias: false)));
            layers.Add(($"bn{i}", nn.BatchNorm2d(next)));
            layers.Add(($"relu{i}", nn.ReLU()));
            c = next;
        }
        layers.Add(("out", ConvolutionGuard.Conv2d(c, channels, 3, padding: 1)));
        upsample = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <summary>Upsampling stages n.</summary>
    public int Stages { get; }

    /// <summary>Side s₀ of the map the Linear layer makes.</summary>
    public int StartSide { get; }

    public override Tensor forward(Tensor z)
    {
        CheckInput(z);
        using var scope = NewDisposeScope();
        var h = nn.functional.relu(fc.forward(z)).view(z.shape[0], startChannels, StartSide, StartSide); // [B, c₀, s₀, s₀]
        var x = upsample.call(h);                                                                      // [B, C, s₀·2ⁿ, s₀·2ⁿ]
        var extra = x.shape[2] - ImageSize;
        if (extra > 0) x = x.narrow(2, extra / 2, ImageSize).narrow(3, extra / 2, ImageSize);         // [B, C, S, S]
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A fully connected decoder, the mirror of <see cref="MlpEncoder"/>: Linear → ReLU → Linear → ReLU → Linear
/// (K → w → 2w → C·S·S), reshaped to [B, C, S, S].
/// </summary>
public sealed class MlpImageDecoder : ImageDecoder
{
    readonly Sequential layers;

    /// <param name="inputDim">Size K of the input vector.</param>
    /// <param name="channels">Channels C of the image.</param>
    /// <param name="imageSize">Side S of the image.</param>
    /// <param name="width">Units w of the first hidden layer (the second has 2w).</param>
    public MlpImageDecoder(int inputDim, int channels, int imageSize, int width = 256) : base(nameof(MlpImageDecoder), inputDim, channels, imageSize)
    {
        if (width < 1) throw new ArgumentException($"MlpImageDecoder.width: expected ≥ 1, got {width}");
        layers = nn.Sequential(
            ("fc1", nn.Linear(inputDim, width)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(width, 2L * width)),
            ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(2L * width, (long)channels * imageSize * imageSize)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor z)
    {
        CheckInput(z);
        using var scope = NewDisposeScope();
        return layers.call(z).view(z.shape[0], Channels, ImageSize, ImageSize).MoveToOuterDisposeScope(); // [B, C, S, S]
    }
}
