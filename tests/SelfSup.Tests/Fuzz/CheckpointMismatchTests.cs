using System.Text;
using System.Text.Json.Nodes;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;

namespace SelfSup.Tests.Fuzz;

/// <summary>A checkpoint of one method and encoder, loaded as another: every mismatch is an error naming the file.</summary>
[Trait("Category", "Fuzz")]
public sealed class CheckpointMismatchTests : IDisposable
{
    readonly TempDir dir = new();
    readonly string path;

    static RunConfig Config(string method, string encoder, int width) => new()
    {
        Method = method, Data = "synthetic", Encoder = encoder, Width = width, ImageSize = 16, Channels = 1, Seed = 3,
        NormalizeMean = [0.5f], NormalizeStd = [0.25f],
    };

    static readonly RunConfig SimClr = Config("simclr", "convnet", 4);

    public CheckpointMismatchTests()
    {
        TorchRuntime.Initialize();
        path = dir.File("simclr.ckpt");
        var (method, _) = Pretraining.BuildMethod(SimClr);
        using (method) Checkpoint.Save(path, method, optimizer: null, new CheckpointState { Config = SimClr });
    }

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("byol", "convnet", 4)]    // another method: a predictor and a teacher the file lacks
    [InlineData("simclr", "convnet", 8)]  // the same method, a wider encoder: every shape differs
    [InlineData("simclr", "vit-tiny/p2/d1", 16)] // another architecture: other names
    [InlineData("moco-v2", "convnet", 4)] // another method with a queue buffer
    public void LoadingIntoAnotherMethodOrEncoder_NamesTheFileAndWhatItHolds(string method, string encoder, int width)
    {
        var (other, _) = Pretraining.BuildMethod(Config(method, encoder, width));
        using var _o = other;

        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, other, optimizer: null));

        Assert.StartsWith($"{path}: checkpoint weights do not match method 'simclr' with encoder 'convnet'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderClaimingAnotherMethod_FailsToLoadNamingTheFile()
    {
        // The header says BYOL, the weights are SimCLR's: the checksum over the file catches the edit before the
        // weights are read into a model they do not fit.
        var bytes = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        var magic = reader.ReadString();
        var header = JsonNode.Parse(reader.ReadString())!;
        header["config"]!["method"] = "byol";
        var rest = bytes[(int)reader.BaseStream.Position..];
        var lying = dir.File("lying.ckpt");
        using (var w = new BinaryWriter(File.Create(lying), Encoding.UTF8))
        {
            w.Write(magic);
            w.Write(header.ToJsonString());
            w.Write(rest);
        }

        var e = Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(lying).Dispose());

        Assert.StartsWith($"{lying}: checksum does not match", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheUnchangedCheckpoint_LoadsIntoItsOwnMethod()
    {
        using var loaded = TrainedEncoder.Load(path);

        Assert.Equal("simclr", loaded.Config.Method);
        Assert.Equal("convnet", loaded.Config.Encoder);
    }
}
