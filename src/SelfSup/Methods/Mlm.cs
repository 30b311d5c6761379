using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Text;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>Options of <see cref="Mlm"/>; BERT-Base's values in brackets where the defaults are CPU-sized.</summary>
public sealed record MlmOptions
{
    /// <summary>Width of the text encoder (BERT-Base: 768; here 128 for a CPU).</summary>
    public int Dim { get; init; } = 128;
    /// <summary>Transformer blocks (BERT-Base: 12; here 4).</summary>
    public int Depth { get; init; } = 4;
    /// <summary>Attention heads per block (BERT-Base: 12; here 4).</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Longest sequence in tokens with [CLS] and [SEP]; longer documents are cut (BERT: 512, 128 for 90 % of its steps; here 64).</summary>
    public int MaxLength { get; init; } = 64;
    /// <summary>How the sequence embedding is read (BERT: the [CLS] state; or masked-mean).</summary>
    public TextPooling Pooling { get; init; } = TextPooling.Cls;
    /// <summary>Share of the real tokens chosen for prediction (BERT §3.1: 0.15).</summary>
    public double MaskProbability { get; init; } = 0.15;
    /// <summary>Share of the chosen tokens replaced by [MASK] (BERT: 0.8).</summary>
    public double MaskShare { get; init; } = 0.8;
    /// <summary>Share of the chosen tokens replaced by a random token (BERT: 0.1; the remaining 0.1 stay unchanged).</summary>
    public double RandomShare { get; init; } = 0.1;
    /// <summary>Whether the MLM head's output layer is the token embedding's matrix (BERT: true).</summary>
    public bool TieWeights { get; init; } = true;

    public TextEncoderOptions Encoder => new() { Dim = Dim, Depth = Depth, Heads = Heads, MaxLength = MaxLength, Pooling = Pooling };
    public TokenMaskingOptions Masking => new() { ChooseProbability = MaskProbability, MaskShare = MaskShare, RandomShare = RandomShare };
}

/// <summary>
/// Masked language modelling (BERT, Devlin et al. 2019 §3.1): 15 % of the real tokens of each sequence are chosen
/// (<see cref="TokenMasking"/>: 80 % → [MASK], 10 % → a random token, 10 % unchanged), a
/// <see cref="TransformerTextEncoder"/> reads the corrupted sequence, and the <see cref="MlmHead"/> predicts the
/// original token at the chosen positions only (<see cref="MaskedTokenLoss"/>); the head runs on those positions
/// alone, as BERT's gather_indexes does. Masks are drawn from libtorch's global generator, which checkpoints save,
/// so a resumed run draws the same masks. BERT's next-sentence prediction is left out (RoBERTa, Liu et al. 2019,
/// found it does not help). Logged: masked-token accuracy and embedding_std of the pooled embeddings.
/// </summary>
public sealed class Mlm : TextMethod
{
    readonly TransformerTextEncoder encoder;
    readonly MlmHead head;
    readonly MlmOptions options;

    public Mlm(ITokenizer tokenizer, MlmOptions options) : base(nameof(Mlm), tokenizer)
    {
        options.Masking.Validate();
        this.options = options;
        encoder = new TransformerTextEncoder(tokenizer.VocabSize, options.Encoder);
        var embedding = encoder.TokenEmbedding;
        head = new MlmHead(options.Dim, tokenizer.VocabSize, options.TieWeights ? () => embedding.weight! : null);
        RegisterComponents();
    }

    public override TextEncoder TextEncoder => encoder;
    public MlmHead Head => head;
    public MlmOptions Options => options;

    public static MethodInfo Info { get; } = MethodInfo.OfText(
        "mlm", "masked modelling (text)",
        "Devlin et al. 2019, BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding (NAACL; arXiv:1810.04805)",
        "15 % of the tokens chosen (80 % [MASK], 10 % random, 10 % kept); a transformer text encoder predicts the originals through a tied MLM head",
        new Recipe
        {
            Source = "Devlin et al. 2019 appendix A.2: Adam(W) lr 1e-4, β (0.9, 0.999), weight decay 0.01, warm-up over the first 10,000 of 1M steps, linear decay (here cosine, and warm-up at most 10 % of a short run); batch 256 sequences of up to 512 tokens there, CPU-sized encoder and sequences here",
            Optimizer = OptimizerKind.AdamW,
            BaseLearningRate = 1e-4,
            WeightDecay = 0.01,
            AdamBeta1 = 0.9,
            AdamBeta2 = 0.999,
            WarmupEpochs = 1,
        },
        new MlmOptions(),
        (ctx, o) => new Mlm(ctx.Tokenizer, o));

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        var (tokens, padding) = TokensOf(batch);
        using var masked = TokenMasking.Apply(tokens, padding, Tokenizer.Special, Tokenizer.VocabSize, options.Masking);
        var states = encoder.ForwardTokens(masked.Inputs, padding);          // [B, T, D]
        var labels = masked.Labels.reshape(-1);                              // [B·T]
        var chosen = MaskedTokenLoss.ChosenPositions(labels);                // [M]
        var picked = states.reshape(-1, states.shape[2]).index_select(0, chosen); // [M, D]
        var logits = head.call(picked);                                      // [M, V]
        var target = labels.index_select(0, chosen);                         // [M]
        var loss = MaskedTokenLoss.Compute(logits, target);
        using var noGrad = no_grad();
        var accuracy = chosen.shape[0] == 0 ? tensor(0f) : logits.argmax(1).eq(target).to(ScalarType.Float32).mean();
        return new StepResult(loss, new Dictionary<string, Tensor>
        {
            ["masked_accuracy"] = accuracy,
            ["masked_tokens"] = tensor((float)chosen.shape[0]),
            ["embedding_std"] = Monitors.StdOfL2Normalized(encoder.Pool(states, padding)),
        });
    }

    /// <summary>Vocabulary logits [B, T, V] at every position of <paramref name="tokens"/> (for evaluation).</summary>
    public Tensor PredictTokens(Tensor tokens, Tensor padding)
    {
        using var scope = NewDisposeScope();
        return head.call(encoder.ForwardTokens(tokens, padding)).MoveToOuterDisposeScope();
    }
}
