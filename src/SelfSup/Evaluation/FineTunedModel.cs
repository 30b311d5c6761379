using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// The result of <see cref="FineTuner.Fit"/>: the fine-tuned encoder and its linear head, with the training history.
/// For a ViT that pools the mean of its patch tokens (<see cref="VitPool.Mean"/>) the model follows MAE's fine-tuning
/// with global pooling (models_vit.py): the patch tokens are averaged before the encoder's final norm, a fresh
/// LayerNorm <see cref="FcNorm"/> normalises the mean, then the head; the encoder's final norm is unused. Every other
/// encoder feeds its pooled embedding to the head.
/// </summary>
public sealed class FineTunedModel : IDisposable
{
    readonly List<FineTuneEpoch> history = [];

    internal FineTunedModel(Encoder encoder, LayerNorm? fcNorm, Linear head, IReadOnlyList<EncoderStage> stages, int frozenStages)
    {
        if (fcNorm is not null && encoder is not Vit)
            throw new ArgumentException($"fine-tune: fc_norm applies to a ViT's mean patch token, not to '{encoder.GetName()}'");
        Encoder = encoder;
        FcNorm = fcNorm;
        Head = head;
        Stages = stages;
        FrozenStages = frozenStages;
        foreach (var (name, p) in encoder.named_parameters())
            if (IsFrozen(name)) p.requires_grad_(false);
        if (fcNorm is not null && frozenStages >= stages.Count)
            foreach (var p in fcNorm.parameters()) p.requires_grad_(false);
    }

    /// <summary>
    /// Whether fine-tuning <paramref name="encoder"/> pools its patch tokens before its final norm and adds an fc_norm: a
    /// ViT with <see cref="VitPool.Mean"/>, or any ViT when <paramref name="globalPool"/> (<see cref="FineTuneOptions.GlobalPool"/>).
    /// </summary>
    public static bool UsesFcNorm(Encoder encoder, bool globalPool = false) => encoder is Vit v && (globalPool || v.Options.Pool == VitPool.Mean);

    public Encoder Encoder { get; }
    /// <summary>The LayerNorm on the mean of the patch tokens (mean-pooled ViTs, see <see cref="UsesFcNorm"/>); it trains with the last stage.</summary>
    public LayerNorm? FcNorm { get; }
    public Linear Head { get; }
    public IReadOnlyList<EncoderStage> Stages { get; }
    /// <summary>The first this-many stages kept their loaded weights and BatchNorm statistics.</summary>
    public int FrozenStages { get; }
    public IReadOnlyList<FineTuneEpoch> History => history;
    /// <summary>The epoch whose weights the model holds (the best validation epoch, or the last without validation).</summary>
    public int BestEpoch { get; internal set; }
    public int TrainImages { get; internal set; }
    public int ValidationImages { get; internal set; }

    /// <summary>The modules whose weights make up the model: encoder, fc_norm when present, head.</summary>
    public IReadOnlyList<nn.Module> Modules => FcNorm is null ? [Encoder, Head] : [Encoder, FcNorm, Head];

    internal void AddEpoch(FineTuneEpoch epoch) => history.Add(epoch);

    /// <summary>What the head sees, [B, C, H, W] → [B, D]: fc_norm(mean of the patch tokens before the final norm) for a mean-pooled ViT, else the encoder's embedding.</summary>
    public Tensor Embed(Tensor x)
    {
        if (FcNorm is null) return Encoder.call(x);
        var vit = (Vit)Encoder;
        using var tokens = vit.ForwardTokens(x, applyNorm: false); // [B, P + T, D], no final norm (P: CLS or none)
        using var patches = tokens.narrow(1, vit.PrefixTokens, tokens.shape[1] - vit.PrefixTokens);
        using var pooled = patches.mean([1]);                       // [B, D], mean of the patch tokens
        return FcNorm.call(pooled);                                 // [B, D]
    }

    /// <summary>Logits [B, classes] = head(<see cref="Embed"/>(x)) in the current train/eval modes.</summary>
    public Tensor Forward(Tensor x)
    {
        using var z = Embed(x); // [B, D]
        return Head.call(z);
    }

    bool IsFrozen(string name) => FineTuneStages.IndexOf(Stages, name) is var s && s >= 0 && s < FrozenStages;

    /// <summary>Train mode everywhere except the frozen stages, whose BatchNorms keep their loaded running statistics.</summary>
    public void SetTrainingMode()
    {
        foreach (var module in Modules) module.train();
        foreach (var (name, module) in Encoder.named_modules())
            if (IsFrozen(name)) module.eval();
    }

    public void SetEvalMode()
    {
        foreach (var module in Modules) module.eval();
    }

    /// <summary>Top-1 (%) and, for two classes, AUROC on a labelled dataset (see <see cref="ClassifierScore"/>).</summary>
    public ClassifierScore Test(ImageDataset data, ChannelStats stats, int batchSize = 512)
    {
        var labels = data.Labels ?? throw new ArgumentException($"fine-tune: dataset '{data.Name}' has no labels to score");
        using var logits = Logits(data, stats, batchSize); // [N, classes]
        return ClassifierScore.FromLogits(logits, labels);
    }

    /// <summary>The head's logits for every image, float32 [N, classes] on the CPU, in eval mode; the previous modes are restored.</summary>
    public Tensor Logits(ImageDataset data, ChannelStats stats, int batchSize = 512) =>
        Map(data, stats, batchSize, Head.weight!.shape[0], Forward);

    /// <summary>What the head sees for every image (<see cref="Embed"/>), float32 [N, D] on the CPU, in eval mode; the previous modes are restored.</summary>
    public Tensor Features(ImageDataset data, ChannelStats stats, int batchSize = 512) =>
        Map(data, stats, batchSize, Head.weight!.shape[1], Embed);

    /// <summary><paramref name="f"/> on every image in batches, eval mode, no gradient: float32 [N, width] on the CPU.</summary>
    Tensor Map(ImageDataset data, ChannelStats stats, int batchSize, long width, Func<Tensor, Tensor> f)
    {
        if (data.Count == 0) throw new ArgumentException($"fine-tune: dataset '{data.Name}' is empty");
        var modes = Modules.Select(m => new TrainingModeSnapshot(m)).ToList();
        try
        {
            SetEvalMode();
            using var noGrad = no_grad();
            var device = Head.weight!.device;
            var output = empty([data.Count, width], ScalarType.Float32); // [N, width], CPU
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(batchSize, data.Count - start);
                var x = stats.ToModelInput(data.Range(start, n), device); // [B, C, H, W]
                output.narrow(0, start, n).copy_(f(x).to(ScalarType.Float32));      // [B, width]
            }
            return output;
        }
        finally
        {
            foreach (var m in modes) m.Dispose();
        }
    }

    /// <summary>Top-1 (%) and mean cross-entropy on a labelled dataset, in eval mode; the previous modes are restored.</summary>
    public (double Top1, double Loss) Score(ImageDataset data, ChannelStats stats, int batchSize = 512)
    {
        var labels = data.Labels ?? throw new ArgumentException($"fine-tune: dataset '{data.Name}' has no labels to score");
        using var scope = NewDisposeScope();
        var logits = Logits(data, stats, batchSize); // [N, classes]
        var y = tensor(labels, ScalarType.Int64); // [N]
        var correct = logits.argmax(1).eq(y).sum().item<long>();
        var loss = nn.functional.cross_entropy(logits, y).item<float>();
        return (100.0 * correct / data.Count, loss);
    }

    public void Dispose()
    {
        Head.Dispose();
        FcNorm?.Dispose();
        Encoder.Dispose();
    }
}
