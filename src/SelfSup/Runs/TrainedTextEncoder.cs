using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Text;
using SelfSup.Training;

namespace SelfSup.Runs;

/// <summary>A pretrained text method loaded from a checkpoint with the tokenizer saved in it, the text counterpart of <see cref="TrainedEncoder"/>.</summary>
public sealed class TrainedTextEncoder : IDisposable
{
    TrainedTextEncoder(TextMethod method, CheckpointState state)
    {
        Method = method;
        State = state;
    }

    public CheckpointState State { get; }
    public RunConfig Config => State.Config;
    /// <summary>The trained method (heads and all).</summary>
    public TextMethod Method { get; }
    /// <summary>What downstream use sees: the method's <see cref="TextMethod.TextRepresentation"/>.</summary>
    public TextEncoder Encoder => Method.TextRepresentation;
    public ITokenizer Tokenizer => Method.Tokenizer;

    /// <summary>Whether the checkpoint at <paramref name="checkpointPath"/> holds a text method.</summary>
    public static bool IsText(string checkpointPath)
    {
        var method = Checkpoint.ReadState(checkpointPath).Config.Method;
        return MethodRegistry.IsKnown(method) && MethodRegistry.Get(method).IsText;
    }

    /// <summary>Rebuilds the method with the checkpoint's tokenizer and loads its weights, verifying the checkpoint's checksum.</summary>
    public static TrainedTextEncoder Load(string checkpointPath, TextPipeline? text = null)
    {
        var (method, state) = Checkpoint.LoadMethod(checkpointPath,
            s => TextPretraining.BuildMethod(s.Config, (text ?? TextPipeline.Default).LoadFromBytes(s.Tokenizer, checkpointPath)));
        return new TrainedTextEncoder(method, state);
    }

    /// <summary>The random-init twin: the same method built from the same seed and tokenizer; disposing it disposes that method.</summary>
    public TextMethod RandomInitTwin() => TextPretraining.BuildMethod(Config, Tokenizer);

    public void Dispose() => Method.Dispose();
}
