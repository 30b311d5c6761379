using System.Text.Json;
using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// CLIP's loss against an independent implementation written from the paper (tests/SelfSup.Tests/Fixtures/clip_reference.py,
/// committed with its output clip_reference.json): loss and gradients with respect to both embeddings and the log scale.
/// </summary>
public class ClipLossTests
{
    static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "clip_reference.json"))).RootElement;

    static Tensor Matrix(JsonElement c, string key, bool requiresGrad = false)
    {
        var rows = c.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], ScalarType.Float64).requires_grad_(requiresGrad);
    }

    static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        var diff = (expected - actual).abs().max().item<double>();
        Assert.True(diff < tolerance, $"max |difference| {diff}");
    }

    [Theory]
    [InlineData("initial")]
    [InlineData("warm")]
    [InlineData("clipped")]
    public void LossAndGradients_MatchTheReference(string name)
    {
        var c = Reference.GetProperty(name);
        using var images = Matrix(c, "images", requiresGrad: true);
        using var texts = Matrix(c, "texts", requiresGrad: true);
        using var t = tensor(c.GetProperty("log_scale").GetDouble(), ScalarType.Float64).requires_grad_(true);
        using var loss = ClipLoss.Compute(images, texts, t);
        loss.backward();
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.item<double>(), 1e-5);
        using var gi = Matrix(c, "grad_images"); using var gt = Matrix(c, "grad_texts");
        AssertClose(gi, images.grad!, 1e-5);
        AssertClose(gt, texts.grad!, 1e-5);
        Assert.Equal(c.GetProperty("grad_log_scale").GetDouble(), t.grad!.item<double>(), 1e-5);
    }

    [Fact]
    public void TheModule_StartsAtTau007_AndMatchesTheReference_WithItsOwnLearnableScale()
    {
        var c = Reference.GetProperty("initial");
        using var loss = new ClipLoss();
        Assert.Equal(Math.Log(1 / 0.07), loss.LogScale.item<float>(), 5);
        Assert.Equal(1 / 0.07, loss.Scale, 3);
        using var images = Matrix(c, "images").to(ScalarType.Float32);
        using var texts = Matrix(c, "texts").to(ScalarType.Float32);
        using var value = loss.forward(images, texts);
        value.backward();
        var expected = c.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(expected - value.item<float>()) < 1e-5 * expected, $"{value.item<float>()} vs {expected}");
        Assert.Equal(c.GetProperty("grad_log_scale").GetDouble(), loss.LogScale.grad!.item<float>(), 4);
    }

    [Fact]
    public void SwappingImagesAndTexts_GivesTheSameLoss()
    {
        var c = Reference.GetProperty("warm");
        using var images = Matrix(c, "images"); using var texts = Matrix(c, "texts");
        using var t = tensor(1.3, ScalarType.Float64);
        using var a = ClipLoss.Compute(images, texts, t);
        using var b = ClipLoss.Compute(texts, images, t);
        Assert.Equal(a.item<double>(), b.item<double>(), 12);
    }

    [Fact]
    public void ClampLogScale_KeepsTheScaleAtMost100()
    {
        using var loss = new ClipLoss(initialLogScale: 6.0);
        Assert.Equal(100, loss.Scale, 6);
        loss.ClampLogScale();
        Assert.Equal(Math.Log(100), loss.LogScale.item<float>(), 5);
        using var negative = new ClipLoss(initialLogScale: -1.0);
        negative.ClampLogScale();
        Assert.Equal(0f, negative.LogScale.item<float>());
    }

    [Fact]
    public void PerfectlyMatchedPairs_AtTheMaximalScale_GiveANearZeroLoss()
    {
        // Orthogonal pairs: cosines are 1 on the diagonal and 0 elsewhere, so each row's loss is log(1 + 3e−100).
        using var e = eye(4, dtype: ScalarType.Float64);
        using var t = tensor(Math.Log(100), ScalarType.Float64);
        using var loss = ClipLoss.Compute(e, e, t);
        Assert.Equal(Math.Log(1 + 3 * Math.Exp(-100)), loss.item<double>(), 12);
    }
}
