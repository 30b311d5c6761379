using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>The result of <see cref="FineTuner.Fit"/>: the fine-tuned encoder and its linear head, with the training history.</summary>
public sealed class FineTunedModel : IDisposable
{
    readonly List<FineTuneEpoch> history = [];

    internal FineTunedModel(Encoder encoder, Linear head, IReadOnlyList<EncoderStage> stages, int frozenStages)
    {
        Encoder = encoder;
        Head = head;
        Stages = stages;
        FrozenStages = frozenStages;
        foreach (var (name, p) in encoder.named_parameters())
            if (IsFrozen(name)) p.requires_grad_(false);
    }

    public Encoder Encoder { get; }
    public Linear Head { get; }
    public IReadOnlyList<EncoderStage> Stages { get; }
    /// <summary>The first this-many stages kept their loaded weights and BatchNorm statistics.</summary>
    public int FrozenStages { get; }
    public IReadOnlyList<FineTuneEpoch> History => history;
    /// <summary>The epoch whose weights the model holds (the best validation epoch, or the last without validation).</summary>
    public int BestEpoch { get; internal set; }
    public int TrainImages { get; internal set; }
    public int ValidationImages { get; internal set; }

    internal void AddEpoch(FineTuneEpoch epoch) => history.Add(epoch);

    bool IsFrozen(string name) => FineTuneStages.IndexOf(Stages, name) is var s && s >= 0 && s < FrozenStages;

    /// <summary>Train mode everywhere except the frozen stages, whose BatchNorms keep their loaded running statistics.</summary>
    public void SetTrainingMode()
    {
        Encoder.train();
        Head.train();
        foreach (var (name, module) in Encoder.named_modules())
            if (IsFrozen(name)) module.eval();
    }

    public void SetEvalMode()
    {
        Encoder.eval();
        Head.eval();
    }

    /// <summary>Top-1 (%) and, for two classes, AUROC on a labelled dataset (see <see cref="ClassifierScore"/>).</summary>
    public ClassifierScore Test(ImageDataset data, ChannelStats stats, int batchSize = 512)
    {
        var labels = data.Labels ?? throw new ArgumentException($"fine-tune: dataset '{data.Name}' has no labels to score");
        using var logits = Logits(data, stats, batchSize); // [N, classes]
        return ClassifierScore.FromLogits(logits, labels);
    }

    /// <summary>The head's logits for every image, float32 [N, classes] on the CPU, in eval mode; the previous modes are restored.</summary>
    public Tensor Logits(ImageDataset data, ChannelStats stats, int batchSize = 512)
    {
        if (data.Count == 0) throw new ArgumentException($"fine-tune: dataset '{data.Name}' is empty");
        using var encoderModes = new TrainingModeSnapshot(Encoder);
        using var headModes = new TrainingModeSnapshot(Head);
        SetEvalMode();
        using var noGrad = no_grad();
        var device = Head.weight!.device;
        var output = empty([data.Count, Head.weight!.shape[0]], ScalarType.Float32); // [N, classes], CPU
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, data.Count - start);
            var x = stats.ToModelInput(data.Images.narrow(0, start, n), device); // [B, C, H, W]
            output.narrow(0, start, n).copy_(Head.call(Encoder.call(x)).to(ScalarType.Float32)); // [B, classes]
        }
        return output;
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
        Encoder.Dispose();
    }
}
