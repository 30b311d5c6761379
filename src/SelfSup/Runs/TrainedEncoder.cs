using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>A pretrained encoder loaded from a checkpoint, with the config and normalisation it was trained with.</summary>
public sealed class TrainedEncoder : IDisposable
{
    readonly SslMethod method;

    TrainedEncoder(SslMethod method, CheckpointState state)
    {
        this.method = method;
        State = state;
    }

    public CheckpointState State { get; }
    public RunConfig Config => State.Config;
    public Encoder Encoder => method.Encoder;
    public ChannelStats Stats => new(Config.NormalizeMean, Config.NormalizeStd);

    public static TrainedEncoder Load(string checkpointPath)
    {
        var state = Checkpoint.ReadState(checkpointPath);
        var (method, _) = Pretraining.BuildMethod(state.Config);
        try
        {
            Checkpoint.Load(checkpointPath, method, optimizer: null);
        }
        catch
        {
            method.Dispose();
            throw;
        }
        return new TrainedEncoder(method, state);
    }

    /// <summary>A random-init encoder of the same architecture, from the same seed (the trained encoder's starting point).</summary>
    public Encoder RandomInitTwin() => Pretraining.BuildEncoder(Config);

    public void Dispose() => method.Dispose();
}
