using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class DenoisingAutoencoderTests
{
    static DenoisingAutoencoder Make(DenoisingAutoencoderOptions? options = null, ChannelStats? stats = null)
    {
        manual_seed(0);
        return new DenoisingAutoencoder(new TinyEncoder(1, width: 6), imageSize: 8, channels: 1, stats ?? AutoencoderTests.Stats,
            options ?? new DenoisingAutoencoderOptions { Bottleneck = 5, DecoderWidth = 4 });
    }

    [Fact]
    public void TextbookExample_LossAgainstTheCleanInputIs0_00025_AgainstTheNoisyOne0_0178()
    {
        // Mean squared error over the 4 entries (identity normalisation, so the images are their pixels):
        // clean: (0.01² + 0.02² + 0.02² + 0.01²) / 4 = 0.00025; noisy: (0.16² + 0.10² + 0.16² + 0.10²) / 4 = 0.0178.
        using var dae = Make(stats: new ChannelStats([0f], [1f]));
        using var clean = tensor(new float[] { 0.8f, 0.3f, 0.9f, 0.5f }).view(1, 1, 2, 2);
        using var noisy = tensor(new float[] { 0.95f, 0.18f, 0.72f, 0.61f }).view(1, 1, 2, 2);
        using var reconstruction = tensor(new float[] { 0.79f, 0.28f, 0.88f, 0.51f }).view(1, 1, 2, 2);
        using var againstClean = dae.Loss(reconstruction, clean);
        using var againstNoisy = dae.Loss(reconstruction, noisy);
        Assert.Equal(0.00025, againstClean.item<float>(), 6);
        Assert.Equal(0.0178, againstNoisy.item<float>(), 6);
    }

    [Fact]
    public void Step_EncodesTheCorruptedImage_AndScoresAgainstTheCleanOne()
    {
        using var dae = Make();
        dae.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(1));
        manual_seed(7);
        var step = dae.Step(x).Loss.item<float>();
        manual_seed(7);
        var (input, _, output) = dae.Forward(x, null);
        Assert.False(input.eq(x).all().item<bool>(), "the encoder saw the clean image");
        Assert.Equal(dae.Loss(output, x).item<float>(), step, 6);
        Assert.NotEqual(dae.Loss(output, input).item<float>(), step, 3);
    }

    [Fact]
    public void MaskingNoise_ZeroesPixels_BeforeNormalisation()
    {
        using var dae = Make(new DenoisingAutoencoderOptions { Bottleneck = 5, DecoderWidth = 4, NoiseLevel = 0.5 });
        using var x = full(new long[] { 2, 1, 8, 8 }, 1f);                      // pixel 0.75 under mean 0.5, std 0.25
        var (input, _, _) = dae.Forward(x, new Generator(3));
        using var masked = input.eq(-2f);                                       // pixel 0 → (0 − 0.5) / 0.25
        using var kept = input.eq(1f);
        Assert.True((masked.logical_or(kept)).all().item<bool>(), "an entry is either kept or set to pixel 0");
        Assert.InRange(masked.to(ScalarType.Float32).mean().item<float>(), 0.3, 0.7);
    }

    [Fact]
    public void Representation_IsDeterministic_AndSeesTheCleanImage()
    {
        using var dae = Make();
        dae.eval();
        using var x = randn(3, 1, 8, 8, generator: new Generator(2));
        using var a = dae.Representation.forward(x);
        using var b = dae.Representation.forward(x);
        Assert.True(a.eq(b).all().item<bool>());
        using var code = dae.Representation.Pool(dae.Representation.ForwardFeatures(x));
        Assert.True(a.eq(code).all().item<bool>());
    }

    [Fact]
    public void Pictures_ShowOriginalCorruptedAndReconstruction()
    {
        using var dae = Make();
        using var x = randn(3, 1, 8, 8, generator: new Generator(4));
        var columns = dae.ReconstructionColumns(x, new Generator(5));
        Assert.Equal(["original", "corrupted", "reconstruction"], dae.PictureColumns);
        Assert.Equal(3, columns.Length);
        Assert.False(columns[1].eq(x).all().item<bool>());
        var again = dae.ReconstructionColumns(x, new Generator(5));
        Assert.True(again[1].eq(columns[1]).all().item<bool>(), "one seed, one corruption");
    }

    [Fact]
    public void Options_BindTheInheritedAndTheOwnKeys_AndEachHasItsDoc()
    {
        var bound = OptionBinder.Bind(new DenoisingAutoencoderOptions(),
            new Dictionary<string, string> { ["bottleneck"] = "16", ["noise"] = "salt-and-pepper", ["noise_level"] = "0.1" }, "dae");
        Assert.Equal(16, bound.Bottleneck);
        Assert.Equal(NoiseKind.SaltAndPepper, bound.Noise);
        Assert.Equal(0.1, bound.NoiseLevel);
        var docs = OptionDocs.Describe(new DenoisingAutoencoderOptions());
        Assert.Contains(docs, o => o.Key == "bottleneck");
        Assert.All(docs, o => Assert.False(string.IsNullOrWhiteSpace(o.Doc), $"{o.Key} has no doc"));
    }

    [Fact]
    public void InvalidNoiseLevel_IsRejectedNamingTheField() =>
        Assert.StartsWith("noise_level", Assert.Throws<ArgumentException>(() => Make(new DenoisingAutoencoderOptions { NoiseLevel = 2 })).Message);
}
