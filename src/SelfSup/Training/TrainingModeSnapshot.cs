using TorchSharp;

namespace SelfSup.Training;

/// <summary>
/// Remembers the train/eval flag of a module and of every submodule, and puts them back on dispose, so that
/// evaluation helpers can switch modes without changing a caller's mixed setting (e.g. frozen BatchNorms in a
/// training network).
/// </summary>
internal sealed class TrainingModeSnapshot : IDisposable
{
    readonly List<(int Depth, torch.nn.Module Module, bool Training)> modes = [];

    public TrainingModeSnapshot(torch.nn.Module root)
    {
        modes.Add((-1, root, root.training));
        foreach (var (name, module) in root.named_modules())
            modes.Add((name.Count(c => c == '.'), module, module.training));
        // train(bool) recurses into children, so parents must be restored before their children.
        modes.Sort((a, b) => a.Depth.CompareTo(b.Depth));
    }

    public void Dispose()
    {
        foreach (var (_, module, training) in modes)
            module.train(training);
    }
}
