namespace SelfSup.Text;

/// <summary>
/// Where text runs get their corpus and tokenizer: <see cref="LoadCorpus"/> opens a corpus by name or path (the
/// `--data` of a text method), <see cref="TrainTokenizer"/> learns a vocabulary from the training documents, and
/// <see cref="LoadTokenizer"/> reads back what <see cref="ITokenizer.Save"/> wrote (checkpoints keep the tokenizer's
/// file and load it through this). Runs use <see cref="Default"/> unless given another (tests use a small one).
/// </summary>
public sealed record TextPipeline(Func<string, TextCorpus> LoadCorpus, Func<TextCorpus, ITokenizer> TrainTokenizer, Func<string, ITokenizer> LoadTokenizer)
{
    /// <summary>The library's text datasets (<see cref="TextDatasets.Load(string)"/>) and word-piece tokenizer, trained with its default options.</summary>
    public static TextPipeline Default { get; } = new(
        TextDatasets.Load,
        corpus => WordPieceTokenizer.Train(corpus.Documents),
        WordPieceTokenizer.Load);

    /// <summary>The tokenizer's saved form as bytes (what checkpoints store).</summary>
    public static byte[] SaveToBytes(ITokenizer tokenizer)
    {
        var path = Path.GetTempFileName();
        try
        {
            tokenizer.Save(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A tokenizer back from <see cref="SaveToBytes"/>'s bytes.</summary>
    public ITokenizer LoadFromBytes(byte[] saved, string source)
    {
        if (saved.Length == 0) throw new InvalidDataException($"{source}: no tokenizer saved with this text model");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, saved);
            return LoadTokenizer(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
