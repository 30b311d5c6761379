using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>Construction options of an <see cref="MlpEncoder"/>.</summary>
/// <param name="InChannels">Channels of the input images.</param>
/// <param name="ImageSize">Side of the (square) input images; the first layer sees all C·S·S pixels.</param>
/// <param name="Width">Embedding width w; the hidden layer has 2w units (256: 784 → 512 → 256 on 28-px digits).</param>
public sealed record MlpEncoderOptions(int InChannels, int ImageSize, int Width = 256);

/// <summary>
/// A fully connected encoder: the image flattened to C·S·S values, Linear → ReLU → Linear → ReLU (C·S·S → 2w → w),
/// the classic autoencoder's encoder (Hinton and Salakhutdinov 2006 use 784-1000-500-250-30 on MNIST). It has no
/// spatial structure, so it only takes images of the size it was built for. <see cref="ForwardFeatures"/> gives the
/// embedding as a 1 × 1 map [B, w, 1, 1], so everything that pools a convolutional map works on it unchanged.
/// </summary>
public sealed class MlpEncoder : Encoder
{
    readonly Sequential features;
    readonly int inChannels;
    readonly int imageSize;

    public MlpEncoder(MlpEncoderOptions options) : base(nameof(MlpEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InChannels < 1) throw new ArgumentException($"MlpEncoderOptions.InChannels: expected ≥ 1, got {options.InChannels}");
        if (options.ImageSize < 1) throw new ArgumentException($"MlpEncoderOptions.ImageSize: expected ≥ 1, got {options.ImageSize}");
        if (options.Width < 1) throw new ArgumentException($"MlpEncoderOptions.Width: expected ≥ 1, got {options.Width}");
        inChannels = options.InChannels;
        imageSize = options.ImageSize;
        EmbeddingDim = options.Width;
        var pixels = (long)inChannels * imageSize * imageSize;
        features = nn.Sequential(
            ("fc1", nn.Linear(pixels, 2L * options.Width)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(2L * options.Width, options.Width)),
            ("relu2", nn.ReLU()));
        RegisterComponents();
    }

    public override int EmbeddingDim { get; }

    public override Tensor ForwardFeatures(Tensor x)
    {
        EncoderInput.Check(x, inChannels, nameof(MlpEncoder));
        if (x.shape[2] != imageSize || x.shape[3] != imageSize)
            throw new ArgumentException($"{nameof(MlpEncoder)} input: expected {imageSize} × {imageSize} images (the size it was built for), got {x.shape[2]} × {x.shape[3]}");
        using var scope = NewDisposeScope();
        var h = features.call(x.flatten(1));                                     // [B, w]
        return h.view(h.shape[0], h.shape[1], 1, 1).MoveToOuterDisposeScope();  // [B, w, 1, 1]
    }

    public override Tensor Pool(Tensor features) => EncoderInput.GlobalAveragePool(features, nameof(MlpEncoder));
}
