using SelfSup.Encoders;
using SelfSup.Heads;
using SelfSup.Methods;
using SelfSup.Numerics;
using SelfSup.Runs;
using SelfSup.Tests.Encoders;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class BeitTests
{
    static readonly BeitOptions Small = new() { CodebookSize = 8, TokenizerIterations = 10, MinMaskBlock = 2 };

    static Beit Make(BeitOptions? options = null)
    {
        manual_seed(0);
        var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 8, PatchSize: 2, Dim: 16, Depth: 1, Heads: 2));
        return new Beit(vit, options ?? Small);
    }

    [Fact]
    public void Tokenizer_AssignsEachPatchItsNearestCode_IgnoringBrightnessAndContrast()
    {
        using var tokenizer = new PatchTokenizer(3, 4);
        using var codes = tensor(new float[] { 1, 1, -1, -1, /**/ -1, 1, -1, 1, /**/ -1, -1, 1, 1 }).view(3, 4);
        tokenizer.SetCodebook(codes);
        // Normalised, (0, 10, 0, 10) is ∝ (−1, 1, −1, 1) → code 1; (5, 5, 9, 9) ∝ (−1, −1, 1, 1) → code 2;
        // (9, 8, 1, 0) ≈ (1, 1, −1, −1) → code 0; (100, 130, 100, 130) is (0, 10, 0, 10) brighter and stronger → code 1.
        using var patches = tensor(new float[] { 0, 10, 0, 10, /**/ 5, 5, 9, 9, /**/ 9, 8, 1, 0, /**/ 100, 130, 100, 130 }).view(2, 2, 4);
        using var got = tokenizer.Encode(patches);
        Assert.Equal(new long[] { 2, 2 }, got.shape);
        Assert.Equal(new long[] { 1, 2, 0, 1 }, got.data<long>().ToArray());
    }

    [Fact]
    public void Tokenizer_FitsOneCodePerCluster_AndRefusesTooFewPatches()
    {
        using var tokenizer = new PatchTokenizer(2, 4);
        Assert.False(tokenizer.IsFitted);
        using var a = tensor(new float[] { 0, 1, 0, 1 }).view(1, 4).repeat(5, 1);
        using var b = tensor(new float[] { 1, 1, 0, 0 }).view(1, 4).repeat(5, 1);
        using var data = cat([a, b], 0).add(randn(10, 4, generator: new Generator(1)).mul(0.01)); // [10, 4]
        tokenizer.Fit(data, new KMeansOptions { Restarts = 1, MaxIterations = 20 });
        Assert.True(tokenizer.IsFitted);
        var got = tokenizer.Encode(data).data<long>().ToArray();
        Assert.All(got.Take(5), c => Assert.Equal(got[0], c));
        Assert.All(got.Skip(5), c => Assert.Equal(got[5], c));
        Assert.NotEqual(got[0], got[5]);
        Assert.Contains("smaller codebook_size", Assert.Throws<ArgumentException>(() => new PatchTokenizer(20, 4).Fit(data, new KMeansOptions())).Message);
    }

    [Fact]
    public void Loss_CountsOnlyMaskedPositions()
    {
        using var beit = Make();
        using var features = randn(2, 16, 16, generator: new Generator(2));
        using var codes = randint(0, 8, [2, 16], dtype: ScalarType.Int64, generator: new Generator(3));
        using var mask = zeros(2, 16);
        mask[0, 3] = 1f;
        mask[1, 7] = 1f;
        var (loss, _) = beit.Loss(features, codes, mask);
        using var f2 = features.clone();
        using var c2 = codes.clone();
        f2[0, 4].fill_(100f); // visible positions
        c2[1, 0] = 5L;
        var (same, _) = beit.Loss(f2, c2, mask);
        Assert.Equal(loss.item<float>(), same.item<float>());
        f2[0, 3].fill_(100f); // a masked position
        var (changed, _) = beit.Loss(f2, c2, mask);
        Assert.NotEqual(loss.item<float>(), changed.item<float>());
    }

    [Fact]
    public void Loss_IsTheCrossEntropyOfTheMaskedCodes_ByHand()
    {
        using var beit = Make();
        using (no_grad())
        {
            beit.Head.weight!.zero_();
            beit.Head.weight![0, 0] = 1f; // logit 0 = feature 0, the others 0
        }
        using var features = zeros(1, 3, 16);
        features[0, 0, 0] = 2f;
        features[0, 1, 0] = 5f; // visible: ignored
        using var codes = tensor(new long[] { 0, 0, 1 }).view(1, 3);
        using var mask = tensor(new float[] { 1, 0, 1 }).view(1, 3);
        var (loss, accuracy) = beit.Loss(features, codes, mask);
        // Position 0: logits (2, 0 × 7), target 0 → −log(e²/(e² + 7)); position 2: all 0, target 1 → log 8.
        var expected = (-Math.Log(Math.Exp(2) / (Math.Exp(2) + 7)) + Math.Log(8)) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(0.5f, accuracy.item<float>()); // position 0 right; position 2 ties and argmax picks code 0, not 1
    }

    [Fact]
    public void Gradients_ReachEncoderMaskTokenAndHead_ButNeverTheCodebook()
    {
        using var beit = Make();
        using var x = randn(8, 1, 8, 8, generator: new Generator(4));
        var result = beit.Step(x);
        Assert.True(beit.Tokenizer.IsFitted, "the first step fits the tokenizer");
        result.Loss.backward();
        foreach (var (name, p) in beit.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains(beit.named_parameters(), p => p.name == "mask_token");
        Assert.Contains(beit.named_parameters(), p => p.name.StartsWith("head."));
        Assert.DoesNotContain(beit.named_parameters(), p => p.name.StartsWith("tokenizer."));
        Assert.Contains(beit.named_buffers(), b => b.name == "tokenizer.codebook");
        Assert.False(beit.Tokenizer.Codebook.requires_grad);
        using var before = beit.Tokenizer.Codebook.clone();
        using var optimizer = optim.SGD(beit.parameters(), 0.1);
        optimizer.step();
        beit.Step(x); // fitted already: no refit
        TensorAssert.Close(before, beit.Tokenizer.Codebook, 0, "codebook after an optimizer step and a second training step");
        Assert.Contains("token_accuracy", result.Scalars.Keys);
    }

    [Fact]
    public void MaskedPatches_AreInvisibleToTheEncoder()
    {
        using var beit = Make();
        beit.eval();
        using var x = randn(1, 1, 8, 8, generator: new Generator(5));
        using var mask = zeros(1, 16);
        mask[0, 0] = 1f; // the top-left 2×2 patch
        using var y = x.clone();
        y[0, 0, 0, 0] = 50f;
        using var a = beit.ForwardMasked(x, mask);
        using var b = beit.ForwardMasked(y, mask);
        TensorAssert.Close(a, b, 1e-6, "output with a changed masked patch");
        using var none = zeros(1, 16);
        using var plain = beit.ForwardMasked(x, none);
        using var features = beit.Encoder.ForwardFeatures(x);
        TensorAssert.Close(features, plain, 1e-6, "no mask = the plain ViT");
    }

    [Fact]
    public void CheckpointRoundTrip_KeepsTheCodebook()
    {
        using var beit = Make();
        using var x = randn(8, 1, 8, 8, generator: new Generator(6));
        beit.FitTokenizer(x);
        var path = Path.Combine(Path.GetTempPath(), $"beit-{Guid.NewGuid():N}.ckpt");
        try
        {
            Checkpoint.Save(path, beit, null, new CheckpointState { Config = new RunConfig() });
            using var restored = Make();
            Assert.False(restored.Tokenizer.IsFitted);
            Checkpoint.Load(path, restored, null);
            Assert.True(restored.Tokenizer.IsFitted);
            TensorAssert.Close(beit.Tokenizer.Codebook, restored.Tokenizer.Codebook, 0, "codebook");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NonVitEncoder_IsRejectedWithTheReason() =>
        Assert.Contains("ViT", Assert.Throws<ArgumentException>(() => new Beit(new TinyEncoder(), new BeitOptions())).Message);

    [Fact]
    public void Registry_ListsBeit_WithOptionsBoundFromStrings()
    {
        var info = MethodRegistry.Get("beit");
        Assert.Contains("Bao", info.Paper);
        var o = OptionBinder.Bind(new BeitOptions(), new Dictionary<string, string> { ["codebook_size"] = "64", ["mask_ratio"] = "0.3" }, "beit");
        Assert.Equal((64, 0.3), (o.CodebookSize, o.MaskRatio));
        Assert.Equal((512, 0.4), (new BeitOptions().CodebookSize, new BeitOptions().MaskRatio));
    }
}
