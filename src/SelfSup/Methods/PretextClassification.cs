using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>The parts every pretext task that classifies its own targets (rotation, relative location) shares.</summary>
internal static class PretextClassification
{
    /// <summary>Cross-entropy of <paramref name="logits"/> [N, K] against <paramref name="labels"/> [N], logging the std of the encoder's <paramref name="embeddings"/> and the batch's pretext accuracy.</summary>
    public static StepResult Step(Tensor logits, Tensor labels, Tensor embeddings) =>
        new(nn.functional.cross_entropy(logits, labels), new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(embeddings.detach()),
            ["pretext_accuracy"] = logits.detach().argmax(1).eq(labels).to(ScalarType.Float32).mean(),
        });

    /// <summary>Correct predictions and predictions of <paramref name="forward"/>'s logits and labels, run in eval mode without gradients; the training mode is restored.</summary>
    public static (long Correct, long Total) Score(nn.Module method, Func<(Tensor Logits, Tensor Labels)> forward)
    {
        using var modes = new TrainingModeSnapshot(method);
        method.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (logits, labels) = forward();
        return (logits.argmax(1).eq(labels).sum().item<long>(), labels.shape[0]);
    }
}
