using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class VaeTests
{
    static Vae Make(VaeOptions? options = null)
    {
        manual_seed(0);
        return new Vae(new TinyEncoder(1, width: 6), imageSize: 8, channels: 1, AutoencoderTests.Stats,
            options ?? new VaeOptions { LatentDim = 3, DecoderWidth = 4 });
    }

    static StepContext At(long step, int stepsPerEpoch) => new(step, 100 * stepsPerEpoch, (int)(step / stepsPerEpoch), stepsPerEpoch, SingleProcess.Instance);

    [Fact]
    public void Step_ReachesEveryParameter_ThroughTheReparameterisation()
    {
        using var vae = Make();
        vae.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(1));
        var result = vae.Step(x);
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        result.Loss.backward();
        foreach (var (name, p) in vae.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        foreach (var key in new[] { "reconstruction", "kl", "beta", "embedding_std" }) Assert.Contains(key, result.Scalars.Keys);
    }

    [Fact]
    public void Elbo_IsTheSummedReconstructionPlusBetaTimesTheClosedFormKl()
    {
        using var vae = Make();
        vae.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(2));
        var (loss, reconstruction, kl, _) = vae.Elbo(x, beta: 0.5, new Generator(3));
        // The same terms by hand, with the same ε.
        var (mu, logVar) = vae.Posterior(x);
        using var eps = randn(mu.shape, generator: new Generator(3));
        using var z = mu + (logVar / 2).exp() * eps;
        using var target = (x * 0.25 + 0.5).clamp(0, 1);                                       // BCE: un-normalised pixels
        using var output = vae.Decoder.forward(z);
        using var bce = nn.functional.binary_cross_entropy_with_logits(output, target, reduction: nn.Reduction.Sum) / 4;
        using var klByHand = (0.5 * (mu.square() + logVar.exp() - 1 - logVar)).sum() / 4;
        Assert.Equal(bce.item<float>(), reconstruction.item<float>(), 3);
        Assert.Equal(klByHand.item<float>(), kl.item<float>(), 4);
        Assert.Equal(reconstruction.item<float>() + 0.5f * kl.item<float>(), loss.item<float>(), 3);
    }

    [Fact]
    public void KlWarmup_RampsBetaLinearlyFromZero_ThenHoldsIt()
    {
        using var vae = Make(new VaeOptions { LatentDim = 3, DecoderWidth = 4, Beta = 2, KlWarmupEpochs = 2.5 });
        // 10 steps per epoch: warm-up over 25 steps.
        Assert.Equal(0.0, vae.Beta(At(0, 10)));
        Assert.Equal(2 * 5 / 25.0, vae.Beta(At(5, 10)), 12);
        Assert.Equal(2 * 20 / 25.0, vae.Beta(At(20, 10)), 12);
        Assert.Equal(2.0, vae.Beta(At(25, 10)));
        Assert.Equal(2.0, vae.Beta(At(90, 10)));
        using var noWarmup = Make(new VaeOptions { LatentDim = 3, DecoderWidth = 4, Beta = 2 });
        Assert.Equal(2.0, noWarmup.Beta(At(0, 10)));
    }

    [Fact]
    public void StepAtTheStartOfWarmup_IsTheReconstructionAlone()
    {
        using var vae = Make(new VaeOptions { LatentDim = 3, DecoderWidth = 4, KlWarmupEpochs = 1 });
        vae.train();
        using var x = randn(4, 1, 8, 8, generator: new Generator(4));
        var result = vae.TrainingStep(new TrainingBatch([x], arange(4L)), At(0, 10));
        Assert.Equal(0f, result.Scalars["beta"].item<float>());
        Assert.True(result.Scalars["kl"].item<float>() > 0);
        Assert.Equal(result.Scalars["reconstruction"].item<float>(), result.Loss.item<float>(), 5);
    }

    [Fact]
    public void Representation_IsMu_AndDeterministicInEval()
    {
        using var vae = Make();
        vae.eval();
        using var x = randn(3, 1, 8, 8, generator: new Generator(5));
        var (mu, _) = vae.Posterior(x);
        using var a = vae.Representation.forward(x);
        using var b = vae.Representation.forward(x);
        Assert.Equal(3, vae.Representation.EmbeddingDim);
        Assert.True(a.eq(mu).all().item<bool>(), "the representation is not μ");
        Assert.True(a.eq(b).all().item<bool>(), "the representation is not deterministic in eval");
    }

    [Fact]
    public void Samples_AndInterpolations_HaveImageShapes_AndInterpolationEndsDecodeEachMu()
    {
        using var vae = Make();
        vae.train();
        using var samples = vae.Sample(5, new Generator(6));
        Assert.Equal(new long[] { 5, 1, 8, 8 }, samples.shape);
        using var from = randn(2, 1, 8, 8, generator: new Generator(7));
        using var to = randn(2, 1, 8, 8, generator: new Generator(8));
        var path = vae.Interpolate(from, to, steps: 4);
        Assert.Equal(6, path.Length);                                                           // from, 4 decodings, to
        Assert.True(path[0].eq(from).all().item<bool>());
        Assert.True(path[5].eq(to).all().item<bool>());
        var fromColumns = vae.ReconstructionColumns(from, new Generator(9));
        var toColumns = vae.ReconstructionColumns(to, new Generator(9));
        Assert.True(path[1].allclose(fromColumns[1], rtol: 1e-5, atol: 1e-5), "the first step is not the reconstruction from μ of the first image");
        Assert.True(path[4].allclose(toColumns[1], rtol: 1e-5, atol: 1e-5), "the last step is not the reconstruction from μ of the second image");
        Assert.True(vae.training, "pictures restore training mode");
    }

    [Fact]
    public void Options_HaveDocs_AndInvalidValuesAreRejectedNamingTheField()
    {
        Assert.All(OptionDocs.Describe(new VaeOptions()), o => Assert.False(string.IsNullOrWhiteSpace(o.Doc), $"{o.Key} has no doc"));
        Assert.Contains("latent_dim", Assert.Throws<ArgumentException>(() => Make(new VaeOptions { LatentDim = 0 })).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentException>(() => Make(new VaeOptions { Beta = -1 })).Message);
        Assert.Contains("kl_warmup_epochs", Assert.Throws<ArgumentException>(() => Make(new VaeOptions { KlWarmupEpochs = -1 })).Message);
    }

}
