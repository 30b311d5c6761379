using SelfSup.Encoders;
using SelfSup.Interop;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Tests.Encoders;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

public class InitWeightsTests
{
    public InitWeightsTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData("simclr")] // zero-inits its residual branches while it is built: the init must come after
    [InlineData("byol")]   // a momentum teacher that must start from the same weights as the student
    public void ARun_StartsFromTheInitFile_InItsEncoderAndTeacher_AndRecordsItsDigest(string method)
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        var weights = dir.File("init.pt");
        manual_seed(42);
        using (var source = ResNet.ResNet18(new ResNetOptions(InChannels: 1, Width: 4)))
            EncoderWeights.Export(source, weights, WeightFormat.PyTorch);
        var config = new RunConfig
        {
            Method = method,
            Data = data,
            Encoder = "resnet18",
            Width = 4,
            Epochs = 1,
            BatchSize = 8,
            MaxSteps = 1,
            CheckpointEvery = 0,
            Seed = 1,
            Init = weights,
            MethodOptions = new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
        };
        using var run = Pretraining.Create(config, dir.File("run"));
        Assert.Equal(EncoderWeights.Sha256(weights), run.Config.InitSha256);

        using var scope = NewDisposeScope();
        var file = StateDictFiles.Read(weights);
        var encoders = run.Method.modules().OfType<ResNet>().Distinct().ToList(); // a module registered under two names is listed twice
        Assert.Equal(method == "byol" ? 2 : 1, encoders.Count);
        foreach (var encoder in encoders)
            foreach (var (key, value) in encoder.state_dict())
                TensorAssert.Identical(file[key], value, key);
    }

    [Fact]
    public void AnInitFileThatChanged_IsRefused_WhenTheConfigRecordsAnotherDigest()
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        var weights = dir.File("init.safetensors");
        using (var source = ResNet.ResNet18(new ResNetOptions(InChannels: 1, Width: 4)))
            EncoderWeights.Export(source, weights, WeightFormat.Safetensors);
        var config = new RunConfig { Method = "simclr", Data = data, Encoder = "resnet18", Width = 4, BatchSize = 8, Init = weights, InitSha256 = new string('0', 64) };
        var e = Assert.Throws<InvalidDataException>(() => Pretraining.Create(config, dir.File("run")));
        Assert.Contains("expected the recorded init_sha256 0000", e.Message);
    }
}
