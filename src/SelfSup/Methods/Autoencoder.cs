using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Autoencoder hyperparameters. The encoder is the run's (<c>--encoder convnet</c>, <c>resnet18</c>, <c>mlp</c>…); the
/// decoder mirrors it. The training recipe (Adam, lr 1e-3) is <see cref="Autoencoder.Info"/>'s.
/// </summary>
public record AutoencoderOptions
{
    /// <summary>Size of the code: a Linear maps the encoder's output to it, and the code is the representation (Hinton and Salakhutdinov 2006: 30 units on MNIST; 128 here, the convnet's embedding width).</summary>
    public int Bottleneck { get; init; } = 128;
    /// <summary>What the bottleneck Linear reads: map (the encoder's feature map flattened, as convolutional autoencoders do, Masci et al. 2011; it keeps where things are) or embedding (the pooled embedding, nearly blind to position after global average pooling).</summary>
    public CodeSource CodeFrom { get; init; } = CodeSource.Map;
    /// <summary>Decoder from the code to the image: auto (mlp for the mlp encoder, conv for every other), conv (Linear to a small map, then stride-2 transposed convolutions) or mlp.</summary>
    public DecoderKind Decoder { get; init; } = DecoderKind.Auto;
    /// <summary>Decoder width; 0: 32 channels in the conv decoder's last stage, 256 and 512 hidden units in the MLP decoder.</summary>
    public int DecoderWidth { get; init; }
    /// <summary>Reconstruction error: mse on the normalised image (the textbook's squared error), or bce on pixels un-normalised to [0, 1] with the output read as logits (Vincent et al. 2008's cross-entropy).</summary>
    public ReconstructionKind Loss { get; init; } = ReconstructionKind.Mse;
}

/// <summary>
/// Autoencoder: the run's encoder maps an image to its feature map, a Linear maps that (flattened) to a bottleneck code, and a
/// decoder (<see cref="ImageDecoder"/>: transposed convolutions or an MLP) reconstructs the image from the code; the
/// loss is the reconstruction error averaged over every pixel. The one view is the normalised image itself, without
/// augmentation. The representation is the code (<see cref="Representation"/>: the encoder followed by the
/// bottleneck Linear), the one vector the decoder sees. <see cref="DenoisingAutoencoder"/> reuses all of it and only
/// corrupts the input first (<see cref="Corrupt"/>).
/// </summary>
public class Autoencoder : SslMethod, IReconstructionPictures
{
    readonly CodeEncoder encoder;
    readonly ImageDecoder decoder;

    /// <param name="encoder">The run's encoder.</param>
    /// <param name="imageSize">Side of the training images.</param>
    /// <param name="channels">Channels of the training images.</param>
    /// <param name="stats">The run's normalisation statistics (BCE targets and corruptions work on un-normalised pixels).</param>
    /// <param name="options">The options.</param>
    public Autoencoder(Encoder encoder, int imageSize, int channels, ChannelStats stats, AutoencoderOptions options)
        : this(nameof(Autoencoder), encoder, imageSize, channels, stats, options) { }

    protected Autoencoder(string name, Encoder encoder, int imageSize, int channels, ChannelStats stats, AutoencoderOptions options) : base(name, encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stats);
        if (options.Bottleneck < 1) throw new ArgumentException($"{name}.bottleneck: expected ≥ 1, got {options.Bottleneck}");
        Options = options;
        Stats = stats;
        Reconstruction = new ReconstructionLoss(options.Loss, stats);
        this.encoder = new CodeEncoder(encoder, options.Bottleneck, options.CodeFrom, channels, imageSize);
        decoder = ImageDecoder.Create(options.Decoder, encoder, options.Bottleneck, channels, imageSize, options.DecoderWidth);
        // Registered by name rather than by RegisterComponents, whose field scan would miss them in a derived method.
        register_module("encoder", this.encoder);
        register_module("decoder", decoder);
    }

    public AutoencoderOptions Options { get; }

    public ChannelStats Stats { get; }

    /// <summary>The reconstruction error and the space of the decoder's output.</summary>
    public ReconstructionLoss Reconstruction { get; }

    public ImageDecoder Decoder => decoder;

    /// <summary>The bottleneck code: the encoder followed by the Linear to <see cref="AutoencoderOptions.Bottleneck"/> units.</summary>
    public override Encoder Representation => encoder;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "ae", "reconstruction",
        "Hinton and Salakhutdinov 2006, Reducing the Dimensionality of Data with Neural Networks (Science 313)",
        "encoder → Linear bottleneck code → decoder (transposed convolutions or MLP), reconstruction error (MSE or BCE) of the image",
        AdamRecipe("the usual autoencoder recipe: Adam (Kingma and Ba 2015) at its default lr 1e-3, no weight decay (Hinton and Salakhutdinov 2006 pretrain RBMs, then fine-tune with conjugate gradients)"),
        new AutoencoderOptions(),
        (ctx, o) => new Autoencoder(ctx.Encoder, ctx.ImageSize, ctx.Channels, ctx.Stats, o),
        (ctx, _) => UnaugmentedViews(ctx.Stats));

    /// <summary>Adam (AdamW without weight decay) at lr 1e-3 for any batch size, no warm-up, then the Trainer's cosine decay.</summary>
    internal static Recipe AdamRecipe(string source) => new()
    {
        Source = source,
        Optimizer = OptimizerKind.AdamW,
        BaseLearningRate = 1e-3,
        WeightDecay = 0,
    };

    /// <summary>One view per image: the normalised image itself.</summary>
    internal static IViewRecipe UnaugmentedViews(ChannelStats stats) => new MaeViews(new ViewPipeline([], stats));

    /// <summary>The input the encoder sees, from the normalised image x: x itself here; a denoising autoencoder corrupts it.</summary>
    protected virtual Tensor Corrupt(Tensor x, Generator? generator) => x.alias();

    /// <summary>Whether <see cref="Corrupt"/> changes the input (then pictures show the corrupted column).</summary>
    protected virtual bool Corrupts => false;

    /// <summary>
    /// Normalised images x [B, C, H, W] → the encoder's input (x, or its corruption drawn from <paramref name="generator"/>;
    /// null: the global generator), the code [B, K] and the decoder's output [B, C, H, W].
    /// </summary>
    public (Tensor Input, Tensor Code, Tensor Output) Forward(Tensor x, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var input = Corrupt(x, generator);  // [B, C, H, W]
        var code = encoder.forward(input);  // [B, K]
        var output = decoder.forward(code); // [B, C, H, W]
        return (input.MoveToOuterDisposeScope(), code.MoveToOuterDisposeScope(), output.MoveToOuterDisposeScope());
    }

    /// <summary>The reconstruction error of <paramref name="output"/> against the clean normalised images <paramref name="x"/>, averaged over every entry.</summary>
    public Tensor Loss(Tensor output, Tensor x)
    {
        using var scope = NewDisposeScope();
        return Reconstruction.Mean(output, Reconstruction.Target(x)).MoveToOuterDisposeScope();
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView(GetName());
        var (_, code, output) = Forward(x, generator: null);
        return new StepResult(Loss(output, x), new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(code.detach()),
        });
    }

    public virtual IReadOnlyList<string> PictureColumns => Corrupts ? ["original", "corrupted", "reconstruction"] : ["original", "reconstruction"];

    public virtual Tensor[] ReconstructionColumns(Tensor images, Generator generator)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (input, _, output) = Forward(images, generator);
        var columns = new List<Tensor> { images.clone() };
        if (Corrupts) columns.Add(input);
        columns.Add(Reconstruction.ToModelInput(output));
        return columns.Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }
}
