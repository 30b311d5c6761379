using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class AutoencoderTests
{
    internal static readonly ChannelStats Stats = new([0.5f], [0.25f]);

    static Autoencoder Make(AutoencoderOptions? options = null, Encoder? encoder = null)
    {
        manual_seed(0);
        return new Autoencoder(encoder ?? new TinyEncoder(1, width: 6), imageSize: 8, channels: 1, Stats,
            options ?? new AutoencoderOptions { Bottleneck = 5, DecoderWidth = 4 });
    }

    [Fact]
    public void Step_ReachesEveryParameter_EncoderBottleneckAndDecoder()
    {
        using var ae = Make();
        ae.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(1));
        var result = ae.Step(x);
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        result.Loss.backward();
        var names = ae.named_parameters().Select(p => p.name).ToList();
        Assert.Contains(names, n => n.StartsWith("encoder.backbone.", StringComparison.Ordinal));
        Assert.Contains("encoder.code.weight", names);
        Assert.Contains(names, n => n.StartsWith("decoder.", StringComparison.Ordinal));
        foreach (var (name, p) in ae.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void Loss_IsTheMeanSquaredError_AgainstTheNormalisedImage()
    {
        using var ae = Make();
        using var x = tensor(new float[] { 0, 1, 2, 3 }).view(1, 1, 2, 2);
        using var output = tensor(new float[] { 1, 1, 0, 3 }).view(1, 1, 2, 2);
        using var loss = ae.Loss(output, x);
        Assert.Equal((1f + 0 + 4 + 0) / 4, loss.item<float>(), 6);
    }

    [Fact]
    public void BceLoss_ComparesTheLogitsWithTheUnnormalisedImage()
    {
        using var ae = Make(new AutoencoderOptions { Bottleneck = 5, DecoderWidth = 4, Loss = ReconstructionKind.Bce });
        using var x = tensor(new float[] { -2, 2 }).view(1, 1, 1, 2);            // pixels 0 and 1
        using var output = tensor(new float[] { -1, 2 }).view(1, 1, 1, 2);       // logits
        using var loss = ae.Loss(output, x);
        // −log(1 − σ(−1)) = log(1 + e^−1) and −log σ(2) = log(1 + e^−2), averaged.
        var expected = (Math.Log(1 + Math.Exp(-1)) + Math.Log(1 + Math.Exp(-2))) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void Representation_IsTheBottleneckCode_OfTheCleanImage()
    {
        using var ae = Make();
        ae.eval();
        using var x = randn(3, 1, 8, 8, generator: new Generator(2));
        var (input, code, _) = ae.Forward(x, null);
        using var z = ae.Representation.forward(x);
        Assert.Equal(5, ae.Representation.EmbeddingDim);
        Assert.Equal(new long[] { 3, 5 }, z.shape);
        Assert.True(z.eq(code).all().item<bool>(), "the representation differs from the code the decoder sees");
        Assert.True(input.eq(x).all().item<bool>(), "a plain autoencoder must not change its input");
        using var again = ae.Representation.forward(x);
        Assert.True(again.eq(z).all().item<bool>());
    }

    [Fact]
    public void MlpEncoder_GetsTheMlpDecoder_AndReconstructsTheImageShape()
    {
        manual_seed(0);
        using var ae = new Autoencoder(new MlpEncoder(new MlpEncoderOptions(3, 8, Width: 6)), 8, 3, new ChannelStats([0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f]),
            new AutoencoderOptions { Bottleneck = 4, DecoderWidth = 5 });
        Assert.IsType<MlpImageDecoder>(ae.Decoder);
        using var x = randn(2, 3, 8, 8, generator: new Generator(3));
        var (_, _, output) = ae.Forward(x, null);
        Assert.Equal(x.shape, output.shape);
    }

    [Fact]
    public void Pictures_AreOriginalAndReconstruction_InEvalMode_RestoringTraining()
    {
        using var ae = Make();
        ae.train();
        using var x = randn(3, 1, 8, 8, generator: new Generator(4));
        var columns = ae.ReconstructionColumns(x, new Generator(5));
        Assert.Equal(["original", "reconstruction"], ae.PictureColumns);
        Assert.Equal(2, columns.Length);
        Assert.True(columns[0].eq(x).all().item<bool>());
        Assert.Equal(x.shape, columns[1].shape);
        Assert.True(ae.training, "ReconstructionColumns restores training mode");
        Assert.False(columns[1].requires_grad);
    }

    [Fact]
    public void Options_BindFromTheRunsOverrides_AndEachHasItsDoc()
    {
        var bound = OptionBinder.Bind(new AutoencoderOptions(), new Dictionary<string, string> { ["bottleneck"] = "16", ["decoder"] = "mlp", ["loss"] = "bce" }, "ae");
        Assert.Equal(new AutoencoderOptions { Bottleneck = 16, Decoder = DecoderKind.Mlp, Loss = ReconstructionKind.Bce }, bound);
        Assert.All(OptionDocs.Describe(new AutoencoderOptions()), o => Assert.False(string.IsNullOrWhiteSpace(o.Doc), $"{o.Key} has no doc"));
    }

    /// <summary>
    /// Eval-mode reconstruction error relative to the pixels' variance (what the mean image scores) after 150 Adam
    /// steps on 16 images of 8 × 8 px, each a 3 × 3 bright square at one of 16 positions.
    /// </summary>
    static float RelativeErrorAfterAShortRun(CodeSource codeFrom)
    {
        using var images = zeros(16, 1, 8, 8);
        for (var i = 0; i < 16; i++) images[i, 0, TensorIndex.Slice(i / 4, i / 4 + 3), TensorIndex.Slice(i % 4, i % 4 + 3)] = tensor(1f);
        using var x = Stats.Normalize(images);
        using var ae = Make(new AutoencoderOptions { Bottleneck = 5, DecoderWidth = 4, CodeFrom = codeFrom });
        ae.train();
        using var optimizer = optim.Adam(ae.parameters(), lr: 1e-2);
        for (var step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            ae.Step(x).Loss.backward();
            optimizer.step();
        }
        ae.eval();
        using var noGrad = no_grad();
        var (_, _, output) = ae.Forward(x, null);
        return ae.Loss(output, x).item<float>() / x.var(0, unbiased: false).mean().item<float>();
    }

    [Fact]
    public void AShortRun_LearnsToReconstructWhereASquareIs_FromTheFlattenedMap_NotFromThePooledEmbedding()
    {
        var fromMap = RelativeErrorAfterAShortRun(CodeSource.Map);
        var fromEmbedding = RelativeErrorAfterAShortRun(CodeSource.Embedding);
        Assert.True(fromMap < 0.2, $"from the map: reconstruction error {fromMap:G3} × the pixels' variance");
        Assert.True(fromEmbedding > 2 * fromMap, $"from the pooled embedding: {fromEmbedding:G3} × the variance, from the map {fromMap:G3}");
    }

    [Fact]
    public void ZeroBottleneck_IsRejectedNamingTheField() =>
        Assert.Contains("bottleneck", Assert.Throws<ArgumentException>(() => Make(new AutoencoderOptions { Bottleneck = 0 })).Message);
}
