using System.Text.Json;
using SelfSup.Losses;
using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// BYOL's and SimSiam's losses against an independent PyTorch implementation written from the papers
/// (tests/SelfSup.Tests/Fixtures/byol_reference.py, float64, committed with its output byol_reference.json).
/// </summary>
public class NegativeCosineLossTests
{
    static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "byol_reference.json"))).RootElement;

    /// <summary>A [B, D] array of the fixture as a float32 tensor (leaf, optionally tracking gradients).</summary>
    static Tensor Matrix(string key, bool requiresGrad = false)
    {
        var rows = Reference.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        var flat = rows.SelectMany(r => r).ToArray();
        return tensor(flat, [rows.Length, rows[0].Length]).requires_grad_(requiresGrad);
    }

    static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"max difference {diff} > {tolerance}");
    }

    [Fact]
    public void Byol_MatchesThePaperReference_InLossAndGradient()
    {
        using var q1 = Matrix("q1", requiresGrad: true);
        using var q2 = Matrix("q2");
        using var z1 = Matrix("z1");
        using var z2 = Matrix("z2");
        using var loss = NegativeCosineLoss.Byol(q1, q2, z1, z2);
        Assert.Equal(Reference.GetProperty("byol_loss").GetDouble(), loss.item<float>(), 1e-5);
        loss.backward();
        using var expected = Matrix("byol_grad_q1");
        AssertClose(expected, q1.grad!);
    }

    [Fact]
    public void Byol_SumsTheTwoViewOrders_SoOppositePredictionsScoreEight()
    {
        using var z = tensor(new float[,] { { 1, 0 }, { 0, 2 } });
        using var same = NegativeCosineLoss.Byol(z * 3, z * 0.5, z, z);   // scale does not matter
        using var opposite = NegativeCosineLoss.Byol(-z, -z, z, z);       // (2 − 2·(−1)) per order, two orders
        Assert.Equal(0f, same.item<float>(), 6);
        Assert.Equal(8f, opposite.item<float>(), 5);
    }

    [Fact]
    public void SimSiam_MatchesThePaperReference_AndTheStopGradientDecidesWhetherTargetsGetGradient()
    {
        using var p2 = Matrix("q2");
        using var z2 = Matrix("z2");
        using var expectedP = Matrix("simsiam_grad_p1");
        using var expectedZ = Matrix("simsiam_grad_z1_no_stop");
        foreach (var stop in new[] { true, false })
        {
            using var p1 = Matrix("q1", requiresGrad: true);
            using var z1 = Matrix("z1", requiresGrad: true);
            using var loss = SimSiam.Loss(p1, p2, z1, z2, stopGradient: stop);
            Assert.Equal(Reference.GetProperty("simsiam_loss").GetDouble(), loss.item<float>(), 1e-5);
            loss.backward();
            AssertClose(expectedP, p1.grad!);
            if (stop) Assert.True(z1.grad is null || z1.grad.abs().max().item<float>() == 0, "the stopped target received a gradient");
            else AssertClose(expectedZ, z1.grad!);
        }
    }

    [Fact]
    public void MismatchedShapes_AreRejected_WithBothShapes()
    {
        using var p = zeros(4, 3);
        using var z = zeros(4, 5);
        var e = Assert.Throws<ArgumentException>(() => NegativeCosineLoss.RowCosine(p, z));
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[4, 5]", e.Message);
    }
}
