using SelfSup.Interop;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Text;
using static TorchSharp.torch;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

[Collection(GlobalRngCollection.Name)]
public class EmbedTextCommandTests
{
    [Fact]
    public void TextCheckpoint_EmbedsEveryDocumentOfTheCorpus_InCorpusOrder_WithItsCategory()
    {
        using var dir = new TempDir();
        string[][] byCategory =
        [
            ["the cat sat on the mat", "a cat and a dog", "the dog sat on a log", "cats like the warm mat", "a dog likes a log", "the mat is warm"],
            ["stocks rose on monday", "the market fell today", "stocks and bonds fell", "the market rose on friday", "bonds rose today", "markets fell on monday"],
        ];
        for (var c = 0; c < 2; c++)
            for (var i = 0; i < 6; i++)
            {
                Directory.CreateDirectory(dir.File($"text/{(c == 0 ? "pets" : "money")}"));
                File.WriteAllText(dir.File($"text/{(c == 0 ? "pets" : "money")}/{i}.txt"), byCategory[c][i]);
            }
        var run = dir.File("run");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "mlm", "--data", dir.File("text"), "--epochs", "1", "--batch-size", "4",
            "--set", "dim=16", "--set", "depth=1", "--set", "heads=2", "--set", "max_length=16", "--out", run]));

        Assert.Equal(0, CliApp.Run(["embed", "--checkpoint", run, "--split", "all", "--out", dir.File("e.npy")]));
        Assert.Equal(0, CliApp.Run(["embed", "--checkpoint", run, "--split", "test", "--out", dir.File("held.npy")]));
        Assert.NotEqual(0, CliApp.Run(["embed", "--checkpoint", run, "--split", "val", "--out", dir.File("x.npy")]));

        var corpus = TextDatasets.Load(dir.File("text"));
        var vectors = NpyReader.Read(dir.File("e.npy"));
        Assert.Equal(new long[] { 12, 16 }, vectors.Shape);
        Assert.Equal(corpus.Labels!.Select(l => (long)l), NpyReader.Read(dir.File("e.labels.npy")).Int64!);
        var config = Checkpoint.ReadState(Path.Combine(run, "checkpoints", "last.ckpt")).Config;
        Assert.Equal(TextPretraining.Split(config, TextPipeline.Default).HeldOut.Count, NpyReader.Read(dir.File("held.npy")).Shape[0]);

        // Row 7 by hand: the loaded encoder on that document's [CLS] … [SEP] ids.
        using var trained = TrainedTextEncoder.Load(Path.Combine(run, "checkpoints", "last.ckpt"));
        trained.Encoder.eval();
        var ids = TokenBatch.Ids(trained.Tokenizer, [corpus.Documents[7]], trained.Encoder.MaxLength)[0];
        using var tokens = tensor(ids).unsqueeze(0);
        using var padding = zeros([1, ids.Length], ScalarType.Bool);
        using var noGrad = no_grad();
        using var byHand = trained.Encoder.forward(tokens, padding);
        var row = vectors.Float32!.AsSpan(7 * 16, 16).ToArray();
        Assert.True(tensor(row).allclose(byHand[0], 1e-5, 1e-5));
    }
}
