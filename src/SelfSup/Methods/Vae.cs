using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// VAE hyperparameters (Kingma and Welling 2014, "Auto-Encoding Variational Bayes"). The training recipe (Adam,
/// lr 1e-3) is <see cref="Vae.Info"/>'s.
/// </summary>
public sealed record VaeOptions
{
    /// <summary>Dimensions of the latent z (Kingma and Welling 2014, Fig. 2: 3 to 200 on MNIST; 20 here).</summary>
    public int LatentDim { get; init; } = 20;
    /// <summary>Weight β of the KL term: ELBO loss = reconstruction + β·KL (1: the paper's ELBO; Higgins et al. 2017's β-VAE takes β &gt; 1).</summary>
    public double Beta { get; init; } = 1.0;
    /// <summary>Epochs over which the KL weight rises linearly from 0 to β, fractions allowed (0: none, as the paper; Bowman et al. 2016 and Sønderby et al. 2016 warm it up against an unused latent).</summary>
    public double KlWarmupEpochs { get; init; }
    /// <summary>What the μ and log σ² heads read: map (the encoder's feature map flattened; it keeps where things are) or embedding (the pooled embedding, nearly blind to position after global average pooling).</summary>
    public CodeSource CodeFrom { get; init; } = CodeSource.Map;
    /// <summary>Decoder from z to the image: auto (mlp for the mlp encoder, as the paper's MLP decoder; conv for every other), conv or mlp.</summary>
    public DecoderKind Decoder { get; init; } = DecoderKind.Auto;
    /// <summary>Decoder width; 0: 32 channels in the conv decoder's last stage, 256 and 512 hidden units in the MLP decoder.</summary>
    public int DecoderWidth { get; init; }
    /// <summary>Reconstruction term, summed over each image's pixels: bce (the paper's Bernoulli decoder for MNIST, on pixels un-normalised to [0, 1]) or mse (squared error of the normalised image, a Gaussian decoder with fixed variance up to scale).</summary>
    public ReconstructionKind Loss { get; init; } = ReconstructionKind.Bce;
}

/// <summary>
/// Variational autoencoder (Kingma and Welling 2014): the run's encoder and two Linear heads give the posterior
/// q(z|x) = N(μ, diag σ²) as μ and log σ²; z = μ + σ·ε with ε ~ N(0, I) (the reparameterisation trick, so gradients
/// reach μ and σ); the shared <see cref="ImageDecoder"/> reconstructs the image from z. The loss is the negative ELBO
/// per image, averaged over the batch: the reconstruction error summed over the image's pixels plus β·KL(q(z|x) ‖ N(0, I))
/// in closed form (<see cref="GaussianKl"/>), β optionally warmed up from 0 (<see cref="VaeOptions.KlWarmupEpochs"/>).
/// The representation is μ (<see cref="Representation"/>: the encoder followed by the μ head), deterministic in eval.
/// </summary>
public sealed class Vae : SslMethod, IReconstructionPictures, IGenerativePictures
{
    readonly CodeEncoder encoder;
    readonly Linear log_variance;
    readonly ImageDecoder decoder;

    /// <param name="encoder">The run's encoder.</param>
    /// <param name="imageSize">Side of the training images.</param>
    /// <param name="channels">Channels of the training images.</param>
    /// <param name="stats">The run's normalisation statistics (BCE targets are un-normalised pixels).</param>
    /// <param name="options">The options.</param>
    public Vae(Encoder encoder, int imageSize, int channels, ChannelStats stats, VaeOptions options) : base(nameof(Vae), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LatentDim < 1) throw new ArgumentException($"vae.latent_dim: expected ≥ 1, got {options.LatentDim}");
        if (!(options.Beta >= 0 && double.IsFinite(options.Beta))) throw new ArgumentException($"vae.beta: expected a finite β ≥ 0, got {options.Beta}");
        if (!(options.KlWarmupEpochs >= 0 && double.IsFinite(options.KlWarmupEpochs)))
            throw new ArgumentException($"vae.kl_warmup_epochs: expected 0 (no warm-up) or a positive number of epochs, got {options.KlWarmupEpochs}");
        Options = options;
        Reconstruction = new ReconstructionLoss(options.Loss, stats);
        this.encoder = new CodeEncoder(encoder, options.LatentDim, options.CodeFrom, channels, imageSize);
        log_variance = nn.Linear(this.encoder.InputDim, options.LatentDim);
        decoder = ImageDecoder.Create(options.Decoder, encoder, options.LatentDim, channels, imageSize, options.DecoderWidth);
        RegisterComponents();
    }

    public VaeOptions Options { get; }

    /// <summary>The reconstruction error and the space of the decoder's output.</summary>
    public ReconstructionLoss Reconstruction { get; }

    public ImageDecoder Decoder => decoder;

    /// <summary>The posterior mean μ: the encoder followed by the μ head.</summary>
    public override Encoder Representation => encoder;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "vae", "reconstruction",
        "Kingma and Welling 2014, Auto-Encoding Variational Bayes (arXiv:1312.6114)",
        "encoder → μ, log σ²; z = μ + σ·ε; decoder reconstructs from z; loss = reconstruction + β·KL(q(z|x) ‖ N(0, I)) in closed form; representation μ",
        Autoencoder.AdamRecipe("Adam (Kingma and Ba 2015) at its default lr 1e-3, no weight decay, as common for VAEs (Kingma and Welling 2014 §5 train with Adagrad, step size from {0.01, 0.02, 0.1}, and a small weight-decay prior)"),
        new VaeOptions(),
        (ctx, o) => new Vae(ctx.Encoder, ctx.ImageSize, ctx.Channels, ctx.Stats, o),
        (ctx, _) => Autoencoder.UnaugmentedViews(ctx.Stats));

    /// <summary>The posterior of normalised images x [B, C, H, W]: μ and log σ², each [B, K].</summary>
    public (Tensor Mu, Tensor LogVariance) Posterior(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = encoder.CodeInput(encoder.ForwardFeatures(x)); // [B, D]: the flattened map or the embedding
        var mu = encoder.Code(h);                               // [B, K]
        var logVariance = log_variance.forward(h);
        return (mu.MoveToOuterDisposeScope(), logVariance.MoveToOuterDisposeScope());
    }

    /// <summary>z = μ + exp(½ log σ²)·ε, ε ~ N(0, I) drawn on the CPU from <paramref name="generator"/> (null: the global generator).</summary>
    public static Tensor Reparameterise(Tensor mu, Tensor logVariance, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var eps = randn(mu.shape, generator: generator).to(mu.dtype, mu.device); // [B, K]
        return (mu + (logVariance * 0.5).exp() * eps).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The KL weight at <paramref name="context"/>'s step: β · min(1, step / W) with W = <see cref="VaeOptions.KlWarmupEpochs"/>
    /// × steps per epoch, so it starts at 0 and reaches β after the warm-up; β throughout without one.
    /// </summary>
    public double Beta(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var warmupSteps = Options.KlWarmupEpochs * context.StepsPerEpoch;
        return warmupSteps <= 0 ? Options.Beta : Options.Beta * Math.Min(1.0, context.Step / warmupSteps);
    }

    /// <summary>The negative ELBO of normalised images x with its two terms, each averaged over the batch: reconstruction + β·KL.</summary>
    public (Tensor Loss, Tensor Reconstruction, Tensor Kl, Tensor Mu) Elbo(Tensor x, double beta, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var (mu, logVariance) = Posterior(x);
        var z = Reparameterise(mu, logVariance, generator);                                      // [B, K]
        var output = decoder.forward(z);                                                        // [B, C, H, W]
        var reconstruction = Reconstruction.PerImage(output, Reconstruction.Target(x)).mean();
        var kl = GaussianKl.ToStandardNormal(mu, logVariance).mean();
        var loss = reconstruction + beta * kl;
        return (loss.MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope());
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var x = batch.SingleView("VAE");
        var beta = Beta(context);
        var (loss, reconstruction, kl, mu) = Elbo(x, beta, generator: null);
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["reconstruction"] = reconstruction.detach(),
            ["kl"] = kl.detach(),
            ["beta"] = tensor((float)beta),
            ["embedding_std"] = Monitors.StdOfL2Normalized(mu.detach()),
        });
    }

    public IReadOnlyList<string> PictureColumns => ["original", "reconstruction"];

    /// <summary>Each image and its reconstruction decoded from μ (no sampling, so the generator is not used).</summary>
    public Tensor[] ReconstructionColumns(Tensor images, Generator generator) => Evaluate(() =>
    {
        var (mu, _) = Posterior(images);
        return [images.clone(), Decode(mu)];
    });

    public Tensor Sample(int count, Generator generator)
    {
        if (count < 1) throw new ArgumentException($"vae samples: count must be ≥ 1, got {count}");
        var device = log_variance.weight!.device;
        return Evaluate(() => [Decode(randn([count, Options.LatentDim], generator: generator).to(device))])[0];
    }

    public Tensor[] Interpolate(Tensor from, Tensor to, int steps)
    {
        if (steps < 2) throw new ArgumentException($"vae interpolation: steps must be ≥ 2 (both ends), got {steps}");
        if (!from.shape.SequenceEqual(to.shape)) throw new ArgumentException("vae interpolation: both image batches must have one shape");
        return Evaluate(() =>
        {
            var (a, _) = Posterior(from);                                                         // [B, K]
            var (b, _) = Posterior(to);
            var columns = new List<Tensor> { from.clone() };
            for (var i = 0; i < steps; i++)
            {
                var t = (double)i / (steps - 1);
                columns.Add(Decode(a * (1 - t) + b * t));
            }
            columns.Add(to.clone());
            return columns.ToArray();
        });
    }

    /// <summary>z [B, K] → a normalised image [B, C, H, W].</summary>
    Tensor Decode(Tensor z) => Reconstruction.ToModelInput(decoder.forward(z));

    /// <summary>Runs <paramref name="pictures"/> in eval mode without gradients, restoring the modes after.</summary>
    Tensor[] Evaluate(Func<Tensor[]> pictures)
    {
        using var mode = new TrainingModeSnapshot(this);
        eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return pictures().Select(c => c.MoveToOuterDisposeScope()).ToArray();
    }
}
