using SelfSup.Methods;
using SelfSup.Text;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>
/// A pretraining run of a <see cref="TextMethod"/>, the text counterpart of <see cref="Pretraining"/>: the corpus
/// opened by name through a <see cref="TextPipeline"/>, a seeded hold-out of its documents kept for evaluation
/// (<see cref="TextSplit"/>), a tokenizer trained on the training documents (or, on resume, the one saved in the
/// run's checkpoint), the method built from the config's seed, and the same <see cref="Trainer"/> as image runs, fed
/// by <see cref="TextTrainingData"/>. Every checkpoint holds the tokenizer.
/// </summary>
public sealed class TextPretraining : IDisposable
{
    /// <summary>The name written as the encoder of text runs' configs.</summary>
    public const string EncoderName = "transformer-text";

    TextPretraining(RunConfig config, TextCorpus train, TextCorpus heldOut, TextMethod method, TextTrainingData data, string runDir)
    {
        Config = config;
        Train = train;
        HeldOut = heldOut;
        Method = method;
        Data = data;
        RunDir = runDir;
        Trainer = new Trainer(method, data, config, runDir);
    }

    /// <summary>The resolved configuration (training documents counted in <see cref="RunConfig.TrainImages"/>).</summary>
    public RunConfig Config { get; }
    public TextCorpus Train { get; }
    /// <summary>Documents held out of pretraining, for evaluation.</summary>
    public TextCorpus HeldOut { get; }
    public TextMethod Method { get; }
    public ITokenizer Tokenizer => Method.Tokenizer;
    public TextTrainingData Data { get; }
    public string RunDir { get; }
    public Trainer Trainer { get; }

    /// <summary>
    /// Loads the corpus and builds the run; with <paramref name="resume"/> and a checkpoint in <paramref name="runDir"/>,
    /// the tokenizer is the checkpoint's rather than a new one.
    /// </summary>
    public static TextPretraining Create(RunConfig config, string runDir, TextPipeline? text = null, bool resume = false)
    {
        text ??= TextPipeline.Default;
        TorchRuntime.Initialize(config.Threads > 0 ? config.Threads : null);
        RequireText(config.Method);
        var (train, heldOut) = Split(config, text);
        var last = Path.Combine(runDir, "checkpoints", "last.ckpt");
        var tokenizer = resume && File.Exists(last) ? text.LoadFromBytes(Checkpoint.ReadState(last).Tokenizer, last) : text.TrainTokenizer(train);
        var resolved = config with { TrainImages = train.Count, Encoder = EncoderName, ImageSize = 0, Channels = 0 };
        var method = BuildMethod(resolved, tokenizer);
        try
        {
            var sequences = TextSequences.EncodeAll(tokenizer, train, method.TextEncoder.MaxLength);
            var data = new TextTrainingData(sequences, resolved.BatchSize, (int)resolved.Seed, method);
            return new TextPretraining(resolved, train, heldOut, method, data, runDir);
        }
        catch
        {
            method.Dispose();
            throw;
        }
    }

    /// <summary>The config's corpus split into training and held-out documents (seeded by the config, limited by its data_limit).</summary>
    public static (TextCorpus Train, TextCorpus HeldOut) Split(RunConfig config, TextPipeline text)
    {
        var (train, heldOut) = TextSplit.HoldOut(text.LoadCorpus(config.Data), TextSplit.DefaultHeldOut, (int)config.Seed);
        return (config.DataLimit is { } n ? TextSplit.Limit(train, n, (int)config.Seed) : train, heldOut);
    }

    /// <summary>The text method a config describes with <paramref name="tokenizer"/>, freshly initialised from the config's seed.</summary>
    public static TextMethod BuildMethod(RunConfig config, ITokenizer tokenizer)
    {
        var info = RequireText(config.Method);
        manual_seed(config.Seed);
        return info.CreateText!(new TextMethodContext(tokenizer, config.MethodOptions));
    }

    static MethodInfo RequireText(string method)
    {
        var info = MethodRegistry.Get(method);
        return info.IsText ? info : throw new ArgumentException($"method '{method}' trains on images, not text; use Pretraining");
    }

    public void Dispose() => Method.Dispose();
}
