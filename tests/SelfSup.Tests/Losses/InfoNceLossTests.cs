using System.Text.Json;
using SelfSup.Losses;
using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// InfoNCE against an independent implementation written from the papers, term by term in float64
/// (tests/SelfSup.Tests/Fixtures/infonce_reference.py, committed with its output infonce_reference.json).
/// </summary>
public class InfoNceLossTests
{
    static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "infonce_reference.json"))).RootElement;

    static Tensor Matrix(string key, bool requiresGrad = false)
    {
        var rows = Reference.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]).requires_grad_(requiresGrad);
    }

    static double Expected(string key) => Reference.GetProperty(key).GetDouble();

    static double T => Reference.GetProperty("temperature").GetDouble();

    [Fact]
    public void WithAQueueAndNoBatchNegatives_MatchesTheReference_AsMocoV2()
    {
        using var q = Matrix("q"); using var k = Matrix("k"); using var queue = Matrix("queue");
        using var loss = InfoNceLoss.Compute(q, k, T, queue, batchNegatives: false);
        Assert.Equal(Expected("queue_only"), loss.item<float>(), 5);
    }

    [Fact]
    public void WithBatchNegatives_MatchesTheReference()
    {
        using var q = Matrix("q"); using var k = Matrix("k");
        using var loss = InfoNceLoss.Compute(q, k, T);
        Assert.Equal(Expected("batch_only"), loss.item<float>(), 5);
    }

    [Fact]
    public void WithBatchNegativesAndAQueue_MatchesTheReference()
    {
        using var q = Matrix("q"); using var k = Matrix("k"); using var queue = Matrix("queue");
        using var loss = InfoNceLoss.Compute(q, k, T, queue);
        Assert.Equal(Expected("batch_and_queue"), loss.item<float>(), 5);
    }

    [Fact]
    public void WithRawDotProducts_MatchesTheReference_AsCpcScores()
    {
        using var q = Matrix("q"); using var k = Matrix("k");
        using var loss = InfoNceLoss.Compute(q, k, 1.0, normalize: false);
        Assert.Equal(Expected("raw_dot_batch"), loss.item<float>(), 5);
    }

    [Fact]
    public void MocoV3sSymmetricLoss_MatchesTheReference()
    {
        using var q = Matrix("q"); using var k = Matrix("k"); using var queue = Matrix("queue");
        using var k2 = queue.narrow(0, 0, 4); using var k1 = queue.narrow(0, 1, 4);
        using var loss = MocoV3.Loss(q, k, k1, k2, T);
        Assert.Equal(Expected("moco_v3_symmetric"), loss.item<float>(), 5);
    }

    [Fact]
    public void TheQueue_GetsNoGradient_AndTheQueriesDo()
    {
        using var q = Matrix("q", requiresGrad: true); using var k = Matrix("k"); using var queue = Matrix("queue", requiresGrad: true);
        using var loss = InfoNceLoss.Compute(q, k, T, queue, batchNegatives: false);
        loss.backward();
        Assert.True(q.grad is not null && q.grad.abs().sum().item<float>() > 0);
        Assert.Null(queue.grad);
    }

    [Fact]
    public void AMoreSimilarNegative_GivesALargerLoss()
    {
        using var q = tensor(new float[] { 1, 0 }).view(1, 2);
        using var k = tensor(new float[] { 0.9f, 0.1f }).view(1, 2);
        using var easy = tensor(new float[] { -0.8f, 0.6f }).view(1, 2);
        using var hard = tensor(new float[] { 0.7f, 0.3f }).view(1, 2);
        using var lEasy = InfoNceLoss.Compute(q, k, 0.5, easy, batchNegatives: false);
        using var lHard = InfoNceLoss.Compute(q, k, 0.5, hard, batchNegatives: false);
        // The textbook pair (see NtXentLossTests): 0.02728 for the easy negative, 0.62120 for the hard one.
        Assert.Equal(0.027284, lEasy.item<float>(), 5);
        Assert.Equal(0.621199, lHard.item<float>(), 5);
    }

    [Fact]
    public void NoNegatives_IsAClearError()
    {
        using var q = Matrix("q"); using var k = Matrix("k");
        var e = Assert.Throws<ArgumentException>(() => InfoNceLoss.Compute(q, k, T, batchNegatives: false));
        Assert.Contains("queue", e.Message);
    }
}
