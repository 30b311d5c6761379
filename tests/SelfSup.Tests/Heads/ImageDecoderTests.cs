using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class ImageDecoderTests
{
    public ImageDecoderTests() => TorchRuntime.Initialize();

    public static TheoryData<DecoderKind, int, int> KindsAndImages() => new()
    {
        { DecoderKind.Conv, 28, 1 },
        { DecoderKind.Conv, 32, 3 },
        { DecoderKind.Conv, 16, 1 },
        { DecoderKind.Conv, 20, 3 },
        { DecoderKind.Mlp, 28, 1 },
        { DecoderKind.Mlp, 32, 3 },
    };

    [Theory]
    [MemberData(nameof(KindsAndImages))]
    public void Output_HasTheRunsImageShape(DecoderKind kind, int size, int channels)
    {
        manual_seed(0);
        using var decoder = ImageDecoder.Create(kind, new TinyEncoder(), inputDim: 10, channels, size, width: 4);
        using var z = randn(3, 10, generator: new Generator(1));
        using var x = decoder.forward(z);
        Assert.Equal(new long[] { 3, channels, size, size }, x.shape);
        Assert.True(x.isfinite().all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(KindsAndImages))]
    public void Gradient_ReachesEveryParameter_AndTheInput(DecoderKind kind, int size, int channels)
    {
        manual_seed(0);
        using var decoder = ImageDecoder.Create(kind, new TinyEncoder(), inputDim: 10, channels, size, width: 4);
        decoder.train();
        using var z = randn(4, 10, generator: new Generator(2)).requires_grad_();
        using var loss = decoder.forward(z).square().mean();
        loss.backward();
        foreach (var (name, p) in decoder.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"{kind}: no gradient reached {name}");
        Assert.True(z.grad!.abs().sum().item<float>() > 0, $"{kind}: no gradient reached the input vector");
    }

    [Theory]
    [InlineData(28, 2, 7)]
    [InlineData(32, 3, 4)]
    [InlineData(16, 2, 4)]
    [InlineData(96, 4, 6)]
    [InlineData(4, 1, 2)]
    public void ConvDecoder_StartsFromAFourToSevenPixelMap_AndDoublesIt(int size, int stages, int startSide)
    {
        using var decoder = new ConvImageDecoder(8, 1, size, width: 2);
        Assert.Equal(stages, decoder.Stages);
        Assert.Equal(startSide, decoder.StartSide);
    }

    [Fact]
    public void Auto_MirrorsTheEncoder()
    {
        using var mlp = new MlpEncoder(new MlpEncoderOptions(1, 8, Width: 4));
        using var conv = new TinyEncoder();
        Assert.Equal(DecoderKind.Mlp, ImageDecoder.Resolve(DecoderKind.Auto, mlp));
        Assert.Equal(DecoderKind.Conv, ImageDecoder.Resolve(DecoderKind.Auto, conv));
        Assert.Equal(DecoderKind.Conv, ImageDecoder.Resolve(DecoderKind.Conv, mlp));
    }

    [Fact]
    public void WrongInputWidth_IsRejectedNamingTheExpectedShape()
    {
        using var decoder = new MlpImageDecoder(8, 1, 8, width: 4);
        using var z = zeros(2, 7);
        Assert.Contains("[B, 8]", Assert.Throws<ArgumentException>(() => decoder.forward(z)).Message);
    }
}
