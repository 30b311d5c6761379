using System.Text.Json;
using SelfSup.Tests.Data;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

[Collection(GlobalRngCollection.Name)]
public class RunFileReproducesTests
{
    static double[] Losses(string run) => File.ReadLines(Path.Combine(run, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(r => r.TryGetProperty("loss", out _))
        .Select(r => r.GetProperty("loss").GetDouble()).ToArray();

    [Fact]
    public void TheConfigWrittenWithARun_RerunsIt_StepForStep()
    {
        using var dir = new TempDir();
        var data = EmbedCommandTests.ClassFolders(dir, perClass: 8);
        var first = dir.File("first");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "simclr", "--data", data, "--encoder", "convnet", "--width", "4",
            "--epochs", "2", "--batch-size", "8", "--seed", "3", "--set", "temperature=0.3", "--tensorboard", "false", "--out", first]));

        var second = dir.File("second");
        Assert.Equal(0, CliApp.Run(["pretrain", "--config", Path.Combine(first, "config.yaml"), "--out", second]));

        var (a, b) = (Losses(first), Losses(second));
        Assert.True(a.Length >= 2, $"{a.Length} steps");
        Assert.Equal(a, b);
    }
}
