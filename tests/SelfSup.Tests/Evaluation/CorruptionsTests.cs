using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class CorruptionsTests
{
    public CorruptionsTests() => TorchRuntime.Initialize();

    /// <summary>Smooth mid-range images [4, 3, 20, 20] with values in [0.3, 0.7], so no corruption clamps them (except noise tails).</summary>
    static Tensor Images(int seed = 0)
    {
        using var g = new Generator((ulong)seed);
        return rand([4, 3, 20, 20], generator: g).mul(0.4).add(0.3);
    }

    static Tensor Apply(Tensor x, CorruptionKind kind, int severity, int seed = 1)
    {
        using var g = new Generator((ulong)seed);
        return Corruptions.Apply(x, kind, severity, g);
    }

    public static TheoryData<CorruptionKind> Kinds() => new(Corruptions.All);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SeverityZero_IsTheIdentity(CorruptionKind kind)
    {
        using var x = Images();
        using var y = Apply(x, kind, 0);
        Assert.True(y.eq(x).all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Outputs_StayInTheUnitRange_AndKeepTheShape(CorruptionKind kind)
    {
        using var x = rand(2, 3, 16, 16);
        for (var s = 1; s <= Corruptions.MaxSeverity; s++)
        {
            using var y = Apply(x, kind, s);
            Assert.Equal(x.shape, y.shape);
            Assert.True(y.min().item<float>() >= 0 && y.max().item<float>() <= 1);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Outputs_AreDeterministicGivenTheSeed(CorruptionKind kind)
    {
        using var x = Images();
        using var a = Apply(x, kind, 3, seed: 9);
        using var b = Apply(x, kind, 3, seed: 9);
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public void GaussianNoise_StdGrowsWithSeverity_AndMatchesItsSigma()
    {
        using var x = full(new long[] { 8, 1, 32, 32 }, 0.5f);
        var previous = 0.0;
        for (var s = 1; s <= 5; s++)
        {
            using var y = Apply(x, CorruptionKind.GaussianNoise, s);
            var std = y.std().item<float>();
            Assert.Equal(Corruptions.Parameter(CorruptionKind.GaussianNoise, s), std, 2);
            Assert.True(std > previous);
            previous = std;
        }
    }

    [Fact]
    public void Contrast_ScalesDeviationsFromTheImageMeanByItsFactor()
    {
        using var x = Images();
        using var y = Apply(x, CorruptionKind.Contrast, 2); // factor 0.5
        using var expected = x.sub(x.mean([1L, 2L, 3L], keepdim: true)).mul(0.5).add(x.mean([1L, 2L, 3L], keepdim: true));
        Assert.True(y.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void Brightness_ShiftsEveryPixelByItsAmount()
    {
        using var x = Images();
        using var y = Apply(x, CorruptionKind.Brightness, 5);
        Assert.True(y.sub(x).allclose(full_like(x, 0.3), atol: 1e-6));
    }

    [Fact]
    public void GaussianBlur_KeepsConstantImages_AndSmoothsMoreAtHigherSeverity()
    {
        using var flat = full(new long[] { 1, 1, 12, 12 }, 0.25f);
        using var flatBlurred = Apply(flat, CorruptionKind.GaussianBlur, 5);
        Assert.True(flatBlurred.allclose(flat, atol: 1e-6));
        using var checker = arange(12).remainder(2).view(1, 12).add(arange(12).remainder(2).view(12, 1)).remainder(2).to(ScalarType.Float32).view(1, 1, 12, 12);
        using var mild = Apply(checker, CorruptionKind.GaussianBlur, 1);
        using var strong = Apply(checker, CorruptionKind.GaussianBlur, 5);
        Assert.True(strong.std().item<float>() < mild.std().item<float>());
        Assert.True(mild.std().item<float>() < checker.std().item<float>());
    }

    [Fact]
    public void Jpeg_DctIsOrthonormal_AndTheQuality50TableIsTheStandardOne()
    {
        using var d = Corruptions.DctMatrix(ScalarType.Float32, CPU);
        Assert.True(d.matmul(d.t()).allclose(eye(8), atol: 1e-6));
        using var q = Corruptions.QuantisationTable(50, ScalarType.Float32, CPU);
        Assert.Equal(16f, q[0, 0].item<float>());
        Assert.Equal(99f, q[7, 7].item<float>());
    }

    [Fact]
    public void Jpeg_KeepsMidGreyBlocks_AndLosesMoreDetailAtLowerQuality()
    {
        using var grey = full(new long[] { 1, 1, 16, 16 }, 128f / 255);
        using var greyOut = Apply(grey, CorruptionKind.Jpeg, 5);
        Assert.True(greyOut.allclose(grey, atol: 1e-5)); // 255·x − 128 = 0: every coefficient is 0
        using var x = Images();
        using var mild = Apply(x, CorruptionKind.Jpeg, 1);
        using var strong = Apply(x, CorruptionKind.Jpeg, 5);
        Assert.True(strong.sub(x).abs().mean().item<float>() > mild.sub(x).abs().mean().item<float>());
    }

    [Fact]
    public void Jpeg_HandlesSidesThatAreNotMultiplesOfEight()
    {
        using var x = rand(2, 1, 28, 28);
        using var y = Apply(x, CorruptionKind.Jpeg, 3);
        Assert.Equal(new long[] { 2, 1, 28, 28 }, y.shape);
    }

    [Fact]
    public void Occlusion_PaintsOneGreySquarePerImage_OfTheSeveritysSide()
    {
        using var x = zeros(5, 2, 28, 28);
        using var y = Apply(x, CorruptionKind.Occlusion, 1); // side round(0.1 · 28) = 3
        using var painted = y.eq(0.5f).sum([1L, 2L, 3L]);
        Assert.All(painted.data<long>().ToArray(), n => Assert.Equal(2 * 3 * 3, n));
    }

    [Fact]
    public void ApplyToBytes_RoundTripsUint8Images_AtSeverityZero()
    {
        using var g = new Generator(0);
        using var images = randint(0, 256, [2, 1, 8, 8], generator: g).to(ScalarType.Byte);
        using var y = Corruptions.ApplyToBytes(images, CorruptionKind.Jpeg, 0, g, CPU);
        Assert.Equal(ScalarType.Byte, y.dtype);
        Assert.True(y.eq(images).all().item<bool>());
    }

    [Fact]
    public void Severity_OutsideOneToFive_IsRejected()
    {
        using var x = Images();
        Assert.Throws<ArgumentOutOfRangeException>(() => Apply(x, CorruptionKind.Contrast, 6));
        Assert.Throws<ArgumentException>(() => Corruptions.Parse("fog"));
        Assert.Equal(CorruptionKind.GaussianBlur, Corruptions.Parse("gaussian_blur"));
    }
}
