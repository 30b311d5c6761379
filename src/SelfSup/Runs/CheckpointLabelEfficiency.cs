using TorchSharp;
using SelfSup.Evaluation;
using SelfSup.Methods;

namespace SelfSup.Runs;

/// <summary>
/// The label-efficiency experiment on a checkpoint's own evaluation data: its pretrained encoder, a fresh one of the
/// same configuration per seed for the scratch arm, the method's fine-tuning pooling, and the run's provenance
/// (method, encoder, data, checkpoint, test split) stamped on the results. One place for every command that runs it.
/// </summary>
public static class CheckpointLabelEfficiency
{
    public static LabelEfficiencyResults Run(EvaluationData data, LabelEfficiencyOptions options)
    {
        var (trained, config) = (data.Trained, data.Config);
        if (options.Device is { } device) trained.Encoder.to(device);
        var globalPool = MethodRegistry.IsKnown(config.Method) && MethodRegistry.Get(config.Method).FineTuneGlobalPool;
        options = options with { FineTune = options.FineTune with { GlobalPool = globalPool } };
        return LabelEfficiency.Run(trained.Encoder, seed => Pretraining.BuildRepresentation(config with { Seed = seed }),
            data.Train, data.Test, trained.Stats, options) with
        {
            Method = config.Method,
            Encoder = config.Encoder + (config.Width > 0 ? $" w{config.Width}" : ""),
            Dataset = data.DataName,
            Checkpoint = data.CheckpointPath,
            TestSplit = data.TestSplit.Key,
            TestSplitSource = data.TestSplit.TestSource,
        };
    }
}
