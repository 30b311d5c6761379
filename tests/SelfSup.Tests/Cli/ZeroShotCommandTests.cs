using System.Text.Json;
using SkiaSharp;
using SelfSup.Tests.Data;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

public class ZeroShotCommandTests
{
    static readonly string[] Tiny = ["--encoder", "convnet", "--width", "4", "--epochs", "1", "--batch-size", "8", "--max-steps", "2",
        "--set", "embed_dim=8", "--set", "text_width=8", "--set", "text_heads=2", "--set", "templates=single"];

    static void Images(TempDir dir)
    {
        for (int i = 0; i < 10; i++)
        {
            TestImages.WriteSolid(dir.File($"data/red/r{i}.png"), 8, 8, new SKColor((byte)(200 + i), 20, 20));
            TestImages.WriteSolid(dir.File($"data/blue/b{i}.png"), 8, 8, new SKColor(20, 20, (byte)(200 + i)));
        }
    }

    [Fact]
    public void PretrainWithTemplatedCaptions_ThenZeroShot_WritesAccuracyAndRecall()
    {
        using var dir = new TempDir();
        Images(dir);
        File.WriteAllLines(dir.File("data/pairs.csv"), ["path,caption", "red/r0.png,a red square", "red/r0.png,something red", "blue/b1.png,a blue square"]);
        var run = dir.File("run");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "clip", "--data", dir.File("data"), .. Tiny, "--out", run]));
        Assert.Equal(0, CliApp.Run(["eval", "zero-shot", "--checkpoint", run, "--captions", dir.File("data/pairs.csv")]));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "zero-shot.json")));
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("classes").GetInt32());
        Assert.Equal(1, root.GetProperty("templates").GetInt32());
        var top1 = root.GetProperty("zero_shot_top1").GetDouble();
        Assert.InRange(top1, 0, 100);
        Assert.Equal(2, root.GetProperty("retrieval_images").GetInt32());
        // Two images: every image's own caption is within its top 5 of 3 captions, and every caption's image within its top 5 of 2.
        Assert.Equal(100, root.GetProperty("retrieval").GetProperty("ImageToText").GetProperty("5").GetDouble());
        Assert.Equal(100, root.GetProperty("retrieval").GetProperty("TextToImage").GetProperty("5").GetDouble());

        // The tokenizer trained on the captions is in the checkpoint, and a loaded CLIP reads text with it.
        var checkpoint = Path.Combine(run, "checkpoints", "last.ckpt");
        var saved = SelfSup.Runs.Checkpoint.ReadState(checkpoint).Tokenizer;
        Assert.NotEmpty(saved);
        using var trained = SelfSup.Runs.TrainedEncoder.Load(checkpoint);
        var clip = Assert.IsType<SelfSup.Methods.Clip>(trained.Method);
        Assert.Equal(saved, SelfSup.Text.TextPipeline.SaveToBytes(clip.Tokenizer!));
    }

    [Fact]
    public void PretrainWithACaptionsFile_TrainsOnTheImagesItNames()
    {
        using var dir = new TempDir();
        Images(dir);
        File.WriteAllLines(dir.File("captions.jsonl"), Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? $"{{\"image\": \"red/r{i}.png\", \"caption\": \"a red square\"}}"
            : $"{{\"image\": \"blue/b{i}.png\", \"caption\": \"a blue square\"}}"));
        var run = dir.File("run");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "clip", "--data", dir.File("data"), "--captions", dir.File("captions.jsonl"), .. Tiny, "--out", run]));
        var config = File.ReadAllText(Path.Combine(run, "config.yaml"));
        Assert.Contains("captions.jsonl", config);
        Assert.Contains("train_images: 8", config);
    }

    [Fact]
    public void ZeroShot_OnANonClipCheckpoint_IsAClearError()
    {
        using var dir = new TempDir();
        Images(dir);
        var run = dir.File("run");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "simclr", "--data", dir.File("data"), "--encoder", "convnet", "--width", "4", "--epochs", "1",
            "--batch-size", "8", "--max-steps", "1", "--set", "projection_hidden_dim=8", "--set", "projection_dim=4", "--out", run]));
        Assert.NotEqual(0, CliApp.Run(["eval", "zero-shot", "--checkpoint", run]));
        Assert.False(File.Exists(Path.Combine(run, "zero-shot.json")));
    }
}
