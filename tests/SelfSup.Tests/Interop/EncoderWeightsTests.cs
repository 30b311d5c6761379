using SelfSup.Encoders;
using SelfSup.Interop;
using SelfSup.Tests.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

public sealed class EncoderWeightsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-weights-").FullName;

    public EncoderWeightsTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static Vit SmallVit(long seed, VitPositions positions = VitPositions.Learned)
    {
        manual_seed(seed);
        return new Vit(new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 16, Depth: 2, Heads: 2, Positions: positions));
    }

    [Theory]
    [InlineData("vit.safetensors")]
    [InlineData("vit.pt")]
    public void AVit_ExportedAndImportedIntoAnotherSeed_GivesTheSameEmbeddings(string file)
    {
        using var source = SmallVit(1);
        using var target = SmallVit(2);
        source.eval(); target.eval();
        using var x = randn(3, 3, 8, 8, generator: new TorchSharp.torch.Generator(5));
        using var before = target.call(x);
        using var want = source.call(x);
        Assert.True((want - before).abs().max().item<float>() > 1e-3f, "two seeds must differ before the import");
        var path = Path.Combine(dir, file);
        EncoderWeights.Export(source, path, WeightFormats.OfPath(path));
        var import = EncoderWeights.Import(target, path);
        Assert.Equal("timm", import.Library);
        Assert.Equal(source.state_dict().Count, import.Loaded);
        using var got = target.call(x);
        TensorAssert.Identical(want, got, "embeddings after the round trip");
    }

    [Theory]
    [InlineData("resnet.safetensors")]
    [InlineData("resnet.pt")]
    public void AResNet_RoundTrips_WithItsBatchNormStatisticsAndScalarCounters(string file)
    {
        manual_seed(1);
        using var source = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using (no_grad())
            foreach (var (name, t) in source.state_dict())
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) t.fill_(7);
                else if (name.EndsWith("running_var", StringComparison.Ordinal)) t.uniform_(0.5, 1.5);
        manual_seed(2);
        using var target = ResNet.ResNet18(new ResNetOptions(Width: 4));
        source.eval(); target.eval();
        var path = Path.Combine(dir, file);
        EncoderWeights.Export(source, path, WeightFormats.OfPath(path));
        EncoderWeights.Import(target, path);
        var counter = target.state_dict()["layer2.0.downsample.1.num_batches_tracked"];
        Assert.Empty(counter.shape);
        Assert.Equal(7L, counter.item<long>());
        using var x = randn(2, 3, 16, 16, generator: new TorchSharp.torch.Generator(5));
        using var want = source.call(x);
        using var got = target.call(x);
        TensorAssert.Identical(want, got, "embeddings after the round trip");
    }

    [Fact]
    public void AResNetOfAnotherWidth_IsRefusedWithTheKeyAndBothShapes_AndNothingIsLoaded()
    {
        using var narrow = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using var wide = ResNet.ResNet18(new ResNetOptions(Width: 8));
        var path = Path.Combine(dir, "narrow.safetensors");
        EncoderWeights.Export(narrow, path, WeightFormat.Safetensors);
        using var before = wide.state_dict()["bn1.weight"].clone();
        var e = Assert.Throws<InvalidDataException>(() => EncoderWeights.Import(wide, path));
        Assert.Contains("'conv1.weight': shape [4, 3, 3, 3], expected [8, 3, 3, 3]", e.Message);
        TensorAssert.Identical(before, wide.state_dict()["bn1.weight"], "bn1.weight after a refused import");
    }

    [Fact]
    public void TheReferenceClassifier_IsSkipped_AndAnyOtherExtraKeyRefused()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        weights["fc.weight"] = zeros(10, 32);
        weights["fc.bias"] = zeros(10);
        var path = Path.Combine(dir, "with-fc.pt");
        StateDictFiles.Write(path, weights, WeightFormat.PyTorch);
        Assert.Equal(["fc.bias", "fc.weight"], EncoderWeights.Import(model, path).SkippedClassifierKeys);

        weights["layer1.0.extra"] = zeros(1);
        StateDictFiles.Write(path, weights, WeightFormat.PyTorch);
        var e = Assert.Throws<InvalidDataException>(() => EncoderWeights.Import(model, path));
        Assert.Contains("unexpected key 'layer1.0.extra'", e.Message);
    }

    [Fact]
    public void AFileInAnotherDtype_IsRefusedNamingTheDtype()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value.to(float16) : kv.Value.clone());
        var path = Path.Combine(dir, "half.safetensors");
        StateDictFiles.Write(path, weights, WeightFormat.Safetensors);
        var e = Assert.Throws<InvalidDataException>(() => EncoderWeights.Import(model, path));
        Assert.Contains("'conv1.weight': dtype Float16, expected Float32", e.Message);
    }

    [Fact]
    public void Sha256_OfAKnownText_IsTheStandardDigest()
    {
        var path = Path.Combine(dir, "abc.txt");
        File.WriteAllText(path, "abc");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", EncoderWeights.Sha256(path));
    }
}
