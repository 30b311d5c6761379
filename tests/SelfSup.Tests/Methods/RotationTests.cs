using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class RotationTests
{
    /// <summary>The pixels themselves as the embedding of a 1-channel 2×2 image: [B, 1, 2, 2] → [B, 4] (a, b, c, d row by row).</summary>
    sealed class PixelEncoder : Encoder
    {
        public PixelEncoder() : base(nameof(PixelEncoder)) => RegisterComponents();
        public override int EmbeddingDim => 4;
        public override Tensor ForwardFeatures(Tensor x) => x;
        public override Tensor Pool(Tensor features) => features.flatten(1);
    }

    static float[] Pixels(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Rotate_TurnsA2x2ImageCounterClockwise_AndLabelsTheQuarterTurns()
    {
        using var image = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]); // [[1, 2], [3, 4]]

        var (rotated, labels) = Rotation.Rotate(image);

        Assert.Equal(new long[] { 4, 1, 2, 2 }, rotated.shape);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, Pixels(rotated[0]));  // 0°
        Assert.Equal(new float[] { 2, 4, 1, 3 }, Pixels(rotated[1]));  // 90°: the right column becomes the top row
        Assert.Equal(new float[] { 4, 3, 2, 1 }, Pixels(rotated[2]));  // 180°
        Assert.Equal(new float[] { 3, 1, 4, 2 }, Pixels(rotated[3]));  // 270°
        Assert.Equal(new long[] { 0, 1, 2, 3 }, labels.data<long>().ToArray());
    }

    [Fact]
    public void Rotate_KeepsAllFourRotationsOfAnImageTogether()
    {
        using var images = rand(3, 2, 5, 5);

        var (rotated, labels) = Rotation.Rotate(images);

        Assert.Equal(new long[] { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3 }, labels.data<long>().ToArray());
        for (var i = 0; i < 3; i++)
            for (var k = 0; k < 4; k++)
                Assert.True(rotated[4 * i + k].rot90(-k, (1, 2)).allclose(images[i], 0, 0), $"row {4 * i + k} is not image {i} turned by {90 * k}°");
    }

    [Fact]
    public void Rotate_RejectsNonSquareImages()
    {
        using var images = zeros(1, 1, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => Rotation.Rotate(images));
        Assert.Contains("square", e.Message);
    }

    [Fact]
    public void PretextScore_CountsTheRotationsTheHeadRecognises()
    {
        using var method = new Rotation(new PixelEncoder(), new RotationOptions());
        // Two images with one bright pixel: top-left, then bottom-right.
        using var images = tensor(new float[] { 9, 0, 0, 0, 0, 0, 0, 9 }, [2, 1, 2, 2]);
        var weight = method.Head.named_parameters().Single(p => p.name.EndsWith("weight", StringComparison.Ordinal)).parameter;
        var bias = method.Head.named_parameters().Single(p => p.name.EndsWith("bias", StringComparison.Ordinal)).parameter;
        using (no_grad())
        {
            bias.zero_();
            // Logit j = pixel j: "rotation j" whenever pixel j is brightest. A top-left pixel turned 0°, 90°, 180°,
            // 270° lands at pixels 0, 2, 3, 1, so only its 0° copy is called right; a bottom-right pixel lands at
            // 3, 1, 0, 2, so only its 90° copy is.
            weight.copy_(eye(4));
        }
        Assert.Equal((2L, 8L), method.PretextScore(images, new Generator(0)));

        using (no_grad()) weight.copy_(tensor(new float[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0 }, [4, 4])); // label ← pixel 0, 2, 3, 1
        Assert.Equal((4L, 8L), method.PretextScore(images, new Generator(0)));     // every copy of the top-left image; the other image's
        Assert.True(method.training);                                               // copies land at 3, 1, 0, 2 → read as 2, 3, 0, 1: none right
        Assert.Equal(0.25, method.PretextChance);
    }

    [Fact]
    public void Step_LearnsThroughEncoderAndHead_AndLogsItsAccuracy()
    {
        manual_seed(0);
        using var method = new Rotation(new TinyEncoder(1, width: 6), new RotationOptions { HeadHiddenDim = 5 });
        using var x = randn(4, 1, 8, 8);

        var result = method.Step(x);
        result.Loss.backward();

        Assert.InRange(result.Loss.item<float>(), 0.5f, 3f); // ≈ ln 4 at initialisation
        Assert.All(method.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        var accuracy = result.Scalars["pretext_accuracy"].item<float>();
        Assert.Equal(0f, accuracy * 16 % 1, 4);              // a share of the 16 rotated copies
        Assert.True(result.Scalars["embedding_std"].item<float>() > 0);
    }

    [Fact]
    public void Evaluation_ReportsTheRotationAccuracyOfTheCheckpoint()
    {
        using var dir = new TempDir();
        TorchRuntime.Initialize();
        var checkpoint = TinyRun.Pretrain(TinyRun.IdxWithoutTestSplit(dir.File("data")), dir.File("run"), "rotation", new() { ["crop_padding"] = "2" });

        var results = CheckpointEvaluation.Run(checkpoint, new EvalSettings { Data = new EvalDataSettings(), K = 3 });

        Assert.Equal("rotation accuracy", results.PretextMetric);
        Assert.Equal(25.0, results.PretextChance);
        Assert.NotNull(results.PretextAccuracy);
        // 6 test images × 4 rotations: the accuracy is a multiple of 1/24.
        Assert.Equal(0, Math.Round(results.PretextAccuracy!.Value * 24 / 100, 1) % 1, 1);
    }
}
