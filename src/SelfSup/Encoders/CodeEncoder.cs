using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>What the Linear of a <see cref="CodeEncoder"/> reads from its encoder.</summary>
public enum CodeSource
{
    /// <summary>
    /// The feature map (or tokens) flattened, as convolutional autoencoders do (Masci et al. 2011): it keeps where
    /// things are in the image, which a decoder needs.
    /// </summary>
    Map,
    /// <summary>The pooled embedding; global average pooling makes it nearly blind to where things are.</summary>
    Embedding,
}

/// <summary>
/// An encoder followed by a Linear map to a code: an autoencoder's bottleneck, or a VAE's posterior mean μ. The Linear
/// reads the encoder's flattened feature map or its pooled embedding (<see cref="CodeSource"/>).
/// <see cref="ForwardFeatures"/> is the inner encoder's and <see cref="Pool"/> applies the Linear, so whatever sees this
/// encoder (evaluation, embedding, fine-tuning) sees the code. With <see cref="CodeSource.Map"/> it takes images of the
/// size it was built for only.
/// </summary>
public sealed class CodeEncoder : Encoder
{
    readonly Encoder backbone;
    readonly Linear code;

    /// <param name="backbone">The encoder whose output is mapped.</param>
    /// <param name="codeDim">Size of the code.</param>
    /// <param name="source">What the Linear reads.</param>
    /// <param name="channels">Channels of the images (to size the flattened map).</param>
    /// <param name="imageSize">Side of the images (to size the flattened map).</param>
    public CodeEncoder(Encoder backbone, int codeDim, CodeSource source, int channels, int imageSize) : base(nameof(CodeEncoder))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (codeDim < 1) throw new ArgumentException($"CodeEncoder.code_dim: expected ≥ 1, got {codeDim}");
        this.backbone = backbone;
        Source = source;
        InputDim = source == CodeSource.Embedding ? backbone.EmbeddingDim : MapSize(backbone, channels, imageSize);
        code = nn.Linear(InputDim, codeDim);
        RegisterComponents();
    }

    /// <summary>The encoder before the Linear map.</summary>
    public Encoder Backbone => backbone;

    public CodeSource Source { get; }

    /// <summary>Values the Linear reads per image: the flattened map's size or the embedding's width.</summary>
    public int InputDim { get; }

    public override int EmbeddingDim => (int)code.out_features;

    public override Tensor ForwardFeatures(Tensor x) => backbone.ForwardFeatures(x);

    public override Tensor Pool(Tensor features)
    {
        using var scope = NewDisposeScope();
        return Code(CodeInput(features)).MoveToOuterDisposeScope();
    }

    /// <summary>What the Linear reads from the backbone's features: [B, <see cref="InputDim"/>].</summary>
    public Tensor CodeInput(Tensor features)
    {
        var input = Source == CodeSource.Embedding ? backbone.Pool(features) : features.flatten(1);
        if (input.shape[1] != InputDim)
        {
            input.Dispose();
            throw new ArgumentException($"{nameof(CodeEncoder)}: the encoder's feature map has {features.numel() / features.shape[0]} values per image, the code layer reads {InputDim}; a code read from the map takes images of the size it was built for only");
        }
        return input;
    }

    /// <summary>The code [B, K] of what the Linear reads, [B, <see cref="InputDim"/>].</summary>
    public Tensor Code(Tensor input) => code.forward(input);

    /// <summary>Values per image of the backbone's feature map, from one blank image in eval mode (no statistics change, nothing random drawn).</summary>
    static int MapSize(Encoder backbone, int channels, int imageSize)
    {
        if (channels < 1 || imageSize < 1) throw new ArgumentException($"CodeEncoder: expected positive channels and image size, got {channels} and {imageSize}");
        using var mode = new TrainingModeSnapshot(backbone);
        backbone.eval();
        using var noGrad = no_grad();
        var device = backbone.parameters().FirstOrDefault()?.device ?? CPU;
        using var blank = zeros(1, channels, imageSize, imageSize, device: device);
        using var features = backbone.ForwardFeatures(blank);
        return checked((int)features.numel());
    }
}
