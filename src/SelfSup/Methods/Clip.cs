using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Losses;
using SelfSup.Text;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>CLIP hyperparameters (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language Supervision").</summary>
public sealed record ClipOptions
{
    /// <summary>Width of the shared image–text space both linear projections map into (paper: 512 for ViT-B/32, 1,024 for RN50; 128 here for CPU-sized encoders).</summary>
    public int EmbedDim { get; init; } = 128;
    /// <summary>Templates of the captions made from class names when the run has no captions file: "cifar10" (CLIP's 18 CIFAR-10 prompts) or "single" ("a photo of a {label}.").</summary>
    public string Templates { get; init; } = "cifar10";
    /// <summary>Largest vocabulary of the tokenizer trained on the captions, special tokens included; sizes the text embedding (paper: a 49,152-entry BPE; 1,000 here, far above what templated captions use).</summary>
    public int VocabSize { get; init; } = 1000;
    /// <summary>Longest caption in tokens, [CLS] and [SEP] included (paper: 76 + end token); longer captions are cut.</summary>
    public int ContextLength { get; init; } = 32;
    /// <summary>Width of the text Transformer (paper: 512).</summary>
    public int TextWidth { get; init; } = 128;
    /// <summary>Blocks of the text Transformer (paper: 12).</summary>
    public int TextLayers { get; init; } = 2;
    /// <summary>Attention heads of the text Transformer (paper: 8).</summary>
    public int TextHeads { get; init; } = 4;
    /// <summary>Temperature τ the learned logit scale starts from, exp(t) = 1/τ (paper §2.5: 0.07).</summary>
    public double InitialTemperature { get; init; } = 0.07;
    /// <summary>Learn the temperature (paper: true, clipped so the scale stays ≤ 100); false keeps τ fixed.</summary>
    public bool LearnTemperature { get; init; } = true;
    /// <summary>Smallest crop area of the random resized crop (paper §2.5: a random square crop is the only augmentation; open_clip draws scale from [0.9, 1]).</summary>
    public double CropMinScale { get; init; } = 0.9;
}

/// <summary>
/// CLIP: an image encoder and a text encoder, each followed by a linear projection without bias into one shared
/// space, trained with <see cref="ClipLoss"/> so each image picks its caption out of the batch's captions and each
/// caption its image, with a learned temperature. Captions reach the step without changing the data path: the method
/// holds a <see cref="CaptionPool"/> over the training rows (templated from the class names, or read from the run's
/// captions file, <see cref="MethodContext.Captions"/>), built in <see cref="BeforeEpoch"/> from the dataset, and each
/// step draws one caption per row from <see cref="TrainingBatch.Indices"/> (a new template per image per step) and
/// tokenises them. The tokenizer is trained on the captions (<see cref="TextModels.TrainTokenizer"/>) from a corpus
/// that depends only on the class names and templates, or on the captions file, so it is rebuilt identically after a
/// resume and for zero-shot evaluation; the text backbone comes from <see cref="TextModels.CreateEncoder"/>.
/// The representation is the image encoder.
/// </summary>
public sealed class Clip : SslMethod, IReadsText
{
    readonly Encoder encoder;
    readonly TextEncoder text;
    readonly Linear image_projection;
    readonly Linear text_projection;
    readonly ClipLoss loss;
    readonly Func<IEnumerable<string>, int, ITokenizer> trainTokenizer;
    CaptionPool? captions;
    ITokenizer? tokenizer;
    long seed;

    /// <param name="captionsFile">The run's captions file, whose captions (in <see cref="ImageCaptions"/>'s row order) are the rows' captions; null: templated captions from the class names.</param>
    public Clip(Encoder encoder, TextEncoder text, ClipOptions options, Func<IEnumerable<string>, int, ITokenizer> trainTokenizer, string? captionsFile = null)
        : base(nameof(Clip), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        this.encoder = encoder;
        this.text = text;
        this.trainTokenizer = trainTokenizer;
        Options = options;
        CaptionsFile = captionsFile;
        if (text.MaxLength < options.ContextLength)
            throw new ArgumentException($"clip: context_length {options.ContextLength} exceeds the text encoder's {text.MaxLength} positions");
        image_projection = nn.Linear(encoder.EmbeddingDim, options.EmbedDim, hasBias: false);
        text_projection = nn.Linear(text.EmbeddingDim, options.EmbedDim, hasBias: false);
        // CLIP's init of both projections: N(0, width^−½).
        using (no_grad())
        {
            nn.init.normal_(image_projection.weight!, 0, Math.Pow(encoder.EmbeddingDim, -0.5));
            nn.init.normal_(text_projection.weight!, 0, Math.Pow(text.EmbeddingDim, -0.5));
        }
        loss = new ClipLoss(Math.Log(1 / options.InitialTemperature), options.LearnTemperature);
        RegisterComponents();
    }

    public ClipOptions Options { get; }

    /// <summary>The captions file the rows' captions come from; null for templated captions.</summary>
    public string? CaptionsFile { get; }

    public TextEncoder TextEncoder => text;

    /// <summary>The loss with its learned log scale.</summary>
    public ClipLoss Loss => loss;

    /// <summary>The tokenizer trained on the captions; null until <see cref="BeforeEpoch"/> or <see cref="PrepareText"/>.</summary>
    public ITokenizer? Tokenizer => tokenizer;

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "clip", "multimodal",
        "Radford et al. 2021, Learning Transferable Visual Models From Natural Language Supervision (arXiv:2103.00020)",
        "image and text encoders with linear projections into one space; symmetric InfoNCE over the batch's image–caption pairs with a learned temperature",
        new Recipe
        {
            Source = "Radford et al. 2021 §2.5 and Table 20: AdamW β (0.9, 0.98), eps 1e-6, weight decay 0.2, lr 5e-4 with warm-up then cosine, batch 32,768; here the same lr for CPU batches of 256 (no batch scaling), 1 warm-up epoch; eps stays the optimizer's 1e-8",
            Optimizer = OptimizerKind.AdamW, BaseLearningRate = 5e-4, WeightDecay = 0.2, WarmupEpochs = 1,
            AdamBeta1 = 0.9, AdamBeta2 = 0.98,
        },
        new ClipOptions(),
        (ctx, o) =>
        {
            var text = TextModels.Encoders("clip")(new TextEncoderSpec(o.VocabSize, o.ContextLength, o.TextWidth, o.TextLayers, o.TextHeads));
            return new Clip(ctx.Encoder, text, o, TextModels.Tokenizers("clip"), ctx.Captions);
        },
        (ctx, o) => MaeViews.ForImages(ctx.ImageSize, ctx.Stats, o.CropMinScale));

    /// <summary>
    /// The captions every training row may be shown with (from the class names and templates, or the captions file)
    /// and the tokenizer trained on them, built once; the seed the per-step draws use.
    /// </summary>
    public override void BeforeEpoch(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        seed = context.Seed;
        var data = context.Dataset;
        captions ??= CaptionsFile is { } file
            ? new CaptionPool(ImageCaptions.ReadCaptions(file, imageRoot: null).Select(r => r.Captions).ToList())
            : data.Labels is { } labels
                ? CaptionPool.FromLabels(labels, data.ClassNames, CaptionTemplates.Named(Options.Templates))
                : throw new InvalidOperationException($"clip: dataset '{data.Name}' has no labels to make captions from; give a labelled dataset (class folders, --labels) or a captions file (--captions)");
        if (captions.Count != data.Count)
            throw new InvalidOperationException($"clip: {captions.Count} captioned rows but the training set has {data.Count} rows (the captions file's images must be the training images, without data_limit)");
        PrepareText(data.ClassNames);
    }

    /// <summary>Reads text with a tokenizer saved in a checkpoint instead of training one; only before any is built.</summary>
    public void UseTokenizer(ITokenizer saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (tokenizer is not null) throw new InvalidOperationException("clip: the tokenizer is already built");
        if (saved.VocabSize > Options.VocabSize)
            throw new InvalidOperationException($"clip: the saved tokenizer has {saved.VocabSize} ids but vocab_size is {Options.VocabSize}");
        tokenizer = saved;
    }

    /// <summary>
    /// Trains the tokenizer (once) on the corpus the run's captions come from: every template applied to every class
    /// name, in class then template order, or every caption of the captions file. A trained CLIP loaded from a
    /// checkpoint calls this with the dataset's class names before embedding text.
    /// </summary>
    public ITokenizer PrepareText(IReadOnlyList<string> classNames)
    {
        if (tokenizer is not null) return tokenizer;
        var corpus = CaptionsFile is { } file
            ? ImageCaptions.ReadCaptions(file, imageRoot: null).SelectMany(r => r.Captions).ToList()
            : classNames.SelectMany(c => CaptionTemplates.For(c, CaptionTemplates.Named(Options.Templates))).ToList();
        var trained = trainTokenizer(corpus, Options.VocabSize);
        if (trained.VocabSize > Options.VocabSize)
            throw new InvalidOperationException($"clip: the tokenizer has {trained.VocabSize} ids but vocab_size is {Options.VocabSize}");
        return tokenizer = trained;
    }

    /// <summary>Projected image embeddings [B, E] (not normalised) of normalised images [B, C, H, W].</summary>
    public Tensor EmbedImages(Tensor images) => image_projection.forward(encoder.forward(images));

    /// <summary>Image encoder features [N, D] (<see cref="Evaluation.Features.Extract"/>) projected into the shared space, [N, E].</summary>
    public Tensor ProjectImageFeatures(Tensor features) => image_projection.forward(features);

    /// <summary>
    /// Projected text embeddings [M, E] (not normalised) of <paramref name="texts"/>, on <paramref name="device"/>;
    /// the caller sets train or eval mode and gradient recording.
    /// </summary>
    public Tensor EmbedTexts(IReadOnlyList<string> texts, Device? device = null)
    {
        var tok = tokenizer ?? throw new InvalidOperationException("clip: no tokenizer yet; call BeforeEpoch (training) or PrepareText (evaluation) first");
        using var scope = NewDisposeScope();
        var (tokens, padding) = TokenBatch.Encode(tok, texts, Options.ContextLength, device: device); // [M, T], [M, T]
        return text_projection.forward(text.forward(tokens, padding)).MoveToOuterDisposeScope(); // [M, E]
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (captions is null || tokenizer is null)
            throw new InvalidOperationException("clip: no captions yet; call BeforeEpoch (the Trainer does at every epoch start) before a step");
        var x = batch.SingleView("CLIP");                                         // [B, C, H, W]
        var rows = batch.Indices.cpu().data<long>().ToArray();
        var drawn = rows.Select(r => captions.Draw(r, context.Step, seed)).ToList();
        var h = encoder.forward(x);                                               // [B, D]
        var images = image_projection.forward(h);                                 // [B, E]
        var texts = EmbedTexts(drawn, x.device);                                  // [B, E]
        // Data-parallel: every rank scores the global batch's images against its captions (negatives from all ranks).
        var value = loss.forward(context.Collectives.AllGather(images), context.Collectives.AllGather(texts));
        using var noGrad = no_grad();
        var logits = loss.Logits(images, texts);                                  // [B, B]
        var targets = arange(rows.Length, ScalarType.Int64, x.device);
        return new StepResult(value, new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()),
            ["logit_scale"] = loss.LogScale.detach().exp().clamp_max(ClipLoss.MaxScale),
            ["image_to_text_accuracy"] = logits.argmax(1).eq(targets).to(ScalarType.Float32).mean(),
        });
    }

    /// <summary>Keeps the learned log scale in [0, ln 100] (open_clip's clamp after every optimizer step).</summary>
    public override void AfterOptimizerStep(StepContext context) => loss.ClampLogScale();

    static void Validate(ClipOptions o)
    {
        if (o.EmbedDim < 1) throw new ArgumentException($"clip: embed_dim must be ≥ 1, got {o.EmbedDim}");
        _ = CaptionTemplates.Named(o.Templates);
        if (o.VocabSize < 6) throw new ArgumentException($"clip: vocab_size must be ≥ 6 (5 special tokens and a word), got {o.VocabSize}");
        if (o.ContextLength < 3) throw new ArgumentException($"clip: context_length must be ≥ 3, got {o.ContextLength}");
        if (o.TextWidth < 1 || o.TextLayers < 1 || o.TextHeads < 1 || o.TextWidth % o.TextHeads != 0)
            throw new ArgumentException($"clip: text_width ({o.TextWidth}) must be a positive multiple of text_heads ({o.TextHeads}), text_layers ≥ 1 (got {o.TextLayers})");
        if (!(o.InitialTemperature > 0 && o.InitialTemperature <= 1)) throw new ArgumentException($"clip: initial_temperature must be in (0, 1], got {o.InitialTemperature}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"clip: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
