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
    /// <summary>What downstream use sees: the method's <see cref="SslMethod.Representation"/> (the encoder by default).</summary>
    public Encoder Encoder => method.Representation;

    /// <summary>The trained method (heads, teacher and all), for tools that need more than the representation.</summary>
    public SslMethod Method => method;
    public ChannelStats Stats => new(Config.NormalizeMean, Config.NormalizeStd);

    /// <summary>
    /// Rebuilds the method from the checkpoint's config and loads its weights, verifying the checkpoint's checksum.
    /// <paramref name="pool"/> (a ViT's only) changes how its tokens become the representation, for the random-init
    /// twin too: <see cref="Config"/> then names the encoder as evaluated (e.g. <c>vit-tiny/p4/d4/mean</c>).
    /// </summary>
    public static TrainedEncoder Load(string checkpointPath, VitPool? pool = null)
    {
        RunConfig Pooled(RunConfig c) => pool is { } p ? c with { Encoder = VitNames.WithPool(c.Encoder, p, "--pool") } : c;
        var (method, state) = Checkpoint.LoadMethod(checkpointPath, s => Pretraining.BuildMethod(Pooled(s.Config)).Method);
        state = state with { Config = Pooled(state.Config) };
        try
        {
            if (method is Clip clip && state.Tokenizer.Length > 0)
                clip.UseTokenizer(Text.TextPipeline.Default.LoadFromBytes(state.Tokenizer, checkpointPath));
        }
        catch
        {
            method.Dispose();
            throw;
        }
        return new TrainedEncoder(method, state);
    }

    /// <summary>
    /// The random-init twin: the same method built from the same seed, seen through its representation (the trained
    /// representation's starting point). Disposing it disposes the method behind it.
    /// </summary>
    public Encoder RandomInitTwin() => Pretraining.BuildRepresentation(Config);

    public void Dispose() => method.Dispose();
}
