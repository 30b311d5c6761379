using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// Early stopping on a validation score: remembers the weights of the best epoch (highest top-1, ties broken by the
/// lower loss), says when <c>patience</c> epochs in a row brought no improvement, and puts the best weights back.
/// </summary>
public sealed class FineTuneEarlyStopping : IDisposable
{
    readonly int? patience;
    readonly IReadOnlyList<nn.Module> modules;
    List<Dictionary<string, Tensor>>? best;
    double bestTop1 = double.NegativeInfinity;
    double bestLoss = double.PositiveInfinity;
    int sinceBest;

    /// <param name="patience">Epochs without improvement before stopping; null never stops (the best epoch is still restored).</param>
    /// <param name="modules">The modules whose parameters and buffers make up "the weights".</param>
    public FineTuneEarlyStopping(int? patience, params nn.Module[] modules)
    {
        if (patience is <= 0) throw new ArgumentException($"early stopping: patience must be positive, got {patience}");
        this.patience = patience;
        this.modules = modules;
    }

    /// <summary>Epoch (0-based) of the best score so far; −1 before the first.</summary>
    public int BestEpoch { get; private set; } = -1;

    public double BestTop1 => bestTop1;

    /// <summary>Records one epoch's validation score; returns true when training should stop.</summary>
    public bool Observe(int epoch, double top1, double loss)
    {
        if (top1 > bestTop1 || (top1 == bestTop1 && loss < bestLoss))
        {
            (bestTop1, bestLoss, BestEpoch, sinceBest) = (top1, loss, epoch, 0);
            DisposeBest();
            best = modules.Select(Snapshot).ToList();
            return false;
        }
        sinceBest++;
        return patience is { } p && sinceBest >= p;
    }

    /// <summary>Copies the best epoch's weights back into the modules (nothing to do before the first epoch).</summary>
    public void RestoreBest()
    {
        if (best is null) return;
        using var noGrad = no_grad();
        for (var i = 0; i < modules.Count; i++)
            foreach (var (name, value) in modules[i].state_dict())
                value.copy_(best[i][name]);
    }

    static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope()); // state kept across epochs

    void DisposeBest()
    {
        if (best is null) return;
        foreach (var dict in best)
            foreach (var t in dict.Values) t.Dispose();
        best = null;
    }

    public void Dispose() => DisposeBest();
}
