using SelfSup.Interop;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Tests.Encoders;
using SelfSup.Tests.Runs;
using static TorchSharp.torch;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

public class ExportCommandTests
{
    public ExportCommandTests() => TorchRuntime.Initialize();

    [Fact]
    public void Export_WritesTheRepresentation_AndPretrainInit_StartsFromIt_RecordingItsDigest()
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        string[] Pretrain(string run, params string[] extra) =>
            ["pretrain", "--method", "simclr", "--data", data, "--encoder", "resnet18", "--width", "4", "--epochs", "1", "--batch-size", "8",
             "--max-steps", "1", "--set", "projection_hidden_dim=16", "--set", "projection_dim=8", "--out", run, .. extra];
        Assert.Equal(0, CliApp.Run(Pretrain(dir.File("a"))));
        var weights = dir.File("a.safetensors");
        Assert.Equal(0, CliApp.Run(["export", "--checkpoint", dir.File("a"), "--out", weights]));
        Assert.Equal(0, CliApp.Run(["export", "--checkpoint", dir.File("a"), "--format", "pt", "--out", dir.File("a.pt")]));

        using (var scope = NewDisposeScope())
        using (var trained = TrainedEncoder.Load(Path.Combine(dir.File("a"), "checkpoints", "last.ckpt")))
        {
            var own = trained.Encoder.state_dict();
            foreach (var file in new[] { weights, dir.File("a.pt") })
            {
                var written = StateDictFiles.Read(file);
                Assert.Equal(own.Keys.Order(), written.Keys.Order());
                foreach (var (key, value) in own) TensorAssert.Identical(value, written[key], $"{file}: {key}");
            }
        }

        Assert.Equal(0, CliApp.Run(Pretrain(dir.File("b"), "--init", weights)));
        var config = File.ReadAllText(Path.Combine(dir.File("b"), "config.yaml"));
        Assert.Contains($"init: {weights}", config);
        Assert.Contains($"init_sha256: {EncoderWeights.Sha256(weights)}", config);

        // A width-8 encoder cannot start from width-4 weights: the run stops before training.
        Assert.NotEqual(0, CliApp.Run(Pretrain(dir.File("c"), "--init", weights).Select(a => a == "4" ? "8" : a).ToArray()));
        Assert.False(File.Exists(Path.Combine(dir.File("c"), "checkpoints", "last.ckpt")));
    }

    [Fact]
    public void Export_OfAnEncoderWithoutReferenceNames_FailsWithAReadableLine()
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        var checkpoint = TinyRun.Pretrain(data, dir.File("run")); // a convnet: neither torchvision nor timm
        Assert.NotEqual(0, CliApp.Run(["export", "--checkpoint", checkpoint, "--out", dir.File("w.safetensors")]));
        Assert.False(File.Exists(dir.File("w.safetensors")));
    }
}
