using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// Test-split score of one trained classifier: top-1 (%) and, for a two-class task, the AUROC of the class-1 score
/// (logit₁ − logit₀, the log-odds), the figure binary medical tasks such as PneumoniaMNIST are reported with.
/// </summary>
public sealed record ClassifierScore(double Top1, double? Auroc)
{
    /// <summary>Scores logits [N, C] against <paramref name="labels"/>; AUROC only when C = 2 and both classes occur.</summary>
    public static ClassifierScore FromLogits(Tensor logits, long[] labels)
    {
        if (logits.dim() != 2 || logits.shape[0] != labels.Length || labels.Length == 0)
            throw new ArgumentException($"classifier score: logits [{string.Join(", ", logits.shape)}] do not match {labels.Length} labels");
        using var scope = NewDisposeScope();
        var cpu = logits.detach().to(CPU).to(ScalarType.Float32);
        var predicted = cpu.argmax(1).data<long>().ToArray();
        var top1 = 100.0 * predicted.Where((p, i) => p == labels[i]).Count() / labels.Length;
        double? auroc = null;
        if (cpu.shape[1] == 2 && labels.Contains(0) && labels.Contains(1))
        {
            var odds = (cpu.select(1, 1) - cpu.select(1, 0)).data<float>().ToArray(); // [N]
            var negatives = odds.Where((_, i) => labels[i] == 0).Select(v => (double)v).ToList();
            var positives = odds.Where((_, i) => labels[i] == 1).Select(v => (double)v).ToList();
            auroc = OutOfDistribution.Auroc(negatives, positives);
        }
        return new ClassifierScore(top1, auroc);
    }
}
