using System.CommandLine;
using SelfSup.Cli;
using SelfSup.Training;

namespace SelfSup.Tests.Cli;

/// <summary>The CLI turns only typed flags into settings, so the method's recipe fills the rest.</summary>
public class RunOptionsTests
{
    static RunConfig Read(params string[] args)
    {
        var cmd = new Command("pretrain");
        var options = new RunOptions(cmd, new RunConfig { BatchSize = 256, Epochs = 1 });
        return options.Read(cmd.Parse(args));
    }

    [Fact]
    public void UntypedFlags_LeaveTheRecipe_AndATypedFlagOverridesIt()
    {
        var mae = Read("--method", "mae", "--batch-size", "128", "--epochs", "20");
        Assert.Equal(OptimizerKind.AdamW, mae.Optimizer);
        Assert.Equal(1.5e-4 * 128 / 256, mae.LearningRate, 12);
        Assert.Equal((0.05, 0.95), (mae.WeightDecay, mae.AdamBeta2));
        Assert.Equal(2, mae.WarmupEpochs, 12);                          // 40 paper epochs, capped at 10 % of 20

        var typed = Read("--method", "mae", "--lr", "0.01", "--optimizer", "sgd");
        Assert.Equal((OptimizerKind.Sgd, 0.01), (typed.Optimizer, typed.LearningRate));
        Assert.Equal(("flag", "flag", "recipe"), (typed.SettingSources["optimizer"], typed.SettingSources["learning_rate"], typed.SettingSources["weight_decay"]));

        Assert.True(Read("--unlabeled").Unlabeled);
        Assert.True(Read("--skip-bad-images").SkipBadImages);
        Assert.False(Read().Unlabeled);
        var simclr = Read("--method", "simclr", "--set", "temperature=0.2");
        Assert.Equal((OptimizerKind.Lars, 1.0, 1e-4), (simclr.Optimizer, simclr.LearningRate, simclr.WeightDecay));
        Assert.Equal("0.2", simclr.MethodOptions["temperature"]);
    }

    [Fact]
    public void RunFile_SitsBetweenTheRecipeAndTheFlags()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("selfsup-runfile-").FullName, "run.yaml");
        File.WriteAllText(path, "method: ijepa\nweight_decay: 0.1\nepochs: 3\n");
        var written = Path.Combine(Path.GetDirectoryName(path)!, "adamw.yaml");
        File.WriteAllText(written, "optimizer: adamw\n");                    // as a user types it, not as config.yaml spells it
        Assert.Equal(OptimizerKind.AdamW, Read("--method", "simclr", "--config", written).Optimizer);
        var c = Read("--config", path, "--epochs", "5");
        Assert.Equal(("ijepa", 0.1, 0.4, 5), (c.Method, c.WeightDecay, c.WeightDecayEnd!.Value, c.Epochs));
        Assert.Equal(1e-3, c.LearningRate, 12);
        Assert.Contains("--optimizer", Assert.Throws<ArgumentException>(() => Read("--optimizer", "adam")).Message);
    }

    [Fact]
    public void RunFileErrors_NameTheFile_TheLine_TheKey_AndWhatWasExpected()
    {
        var dir = Directory.CreateTempSubdirectory("selfsup-runfile-").FullName;
        var unknown = Path.Combine(dir, "unknown.yaml");
        File.WriteAllText(unknown, "method: simclr\n# a comment\nepoch: 3\n");
        var e = Assert.Throws<ArgumentException>(() => Read("--config", unknown)).Message;
        Assert.StartsWith($"{unknown}, line 3: unknown setting 'epoch'", e);
        Assert.Contains("epochs", e);

        var wrong = Path.Combine(dir, "wrong.yaml");
        File.WriteAllText(wrong, "method: simclr\nbatch_size: 64\nepochs: three\n");
        Assert.Equal($"{wrong}, line 3: setting 'epochs' has the wrong type: expected a whole number, got \"three\"",
            Assert.Throws<ArgumentException>(() => Read("--config", wrong)).Message);

        var json = Path.Combine(dir, "wrong.json");
        File.WriteAllText(json, "{\n  \"method\": \"simclr\",\n  \"tensorboard\": \"yes\"\n}\n");
        Assert.Equal($"{json}, line 3: setting 'tensorboard' has the wrong type: expected true or false, got \"yes\"",
            Assert.Throws<ArgumentException>(() => Read("--config", json)).Message);
    }
}
