using System.Text.Json;
using SelfSup.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// SwAV's Sinkhorn–Knopp codes against an independent float64 PyTorch implementation written from the paper
/// (Fixtures/swav_reference.py, its output Fixtures/swav_reference.json), plus the marginals the iterations enforce.
/// </summary>
public class SinkhornTests
{
    internal static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "swav_reference.json"))).RootElement;

    /// <summary>A nested JSON array of numbers as a float32 tensor of its shape.</summary>
    internal static Tensor Array(JsonElement e)
    {
        var shape = new List<long>();
        for (var x = e; x.ValueKind == JsonValueKind.Array; x = x[0]) shape.Add(x.GetArrayLength());
        var values = new List<float>();
        void Flatten(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var y in x.EnumerateArray()) Flatten(y);
            else values.Add((float)x.GetDouble());
        }
        Flatten(e);
        return tensor(values.ToArray(), shape.ToArray());
    }

    internal static Tensor Array(string key) => Array(Reference.GetProperty(key));

    [Fact]
    public void Codes_MatchTheReference()
    {
        using var scores = Array("scores");   // [6, 4]
        using var codes = Sinkhorn.Codes(scores, Reference.GetProperty("epsilon").GetDouble(), Reference.GetProperty("iterations").GetInt32());
        using var expected = Array("codes");
        Assert.Equal(expected.shape, codes.shape);
        Assert.True(codes.allclose(expected, rtol: 0, atol: 1e-5), $"max difference {(codes - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void EachCode_SumsToOne_AndEachPrototypeReceivesAboutBOverK_MoreSoWithMoreIterations()
    {
        using var scores = nn.functional.normalize(randn(12, 4, generator: new Generator(5)), dim: 1).mm(
            nn.functional.normalize(randn(3, 4, generator: new Generator(6)), dim: 1).t()); // [12, 3] cosine scores
        double previous = double.MaxValue;
        foreach (var iterations in new[] { 1, 3, 10, 100 })
        {
            using var codes = Sinkhorn.Codes(scores, epsilon: 0.2, iterations: iterations); // [12, 3]
            using var rows = codes.sum(1L);
            Assert.True(rows.allclose(ones(12), rtol: 0, atol: 1e-5), $"rows sum to 1 after the last column step ({iterations} iterations)");
            var deviation = (codes.sum(0L) - 12.0 / 3).abs().max().item<float>();         // each prototype: B/K = 4
            Assert.True(deviation <= previous + 1e-5, $"column sums move away from B/K: {deviation} after {iterations} iterations, {previous} before");
            previous = deviation;
        }
        Assert.True(previous < 1e-3, $"after 100 iterations each prototype receives B/K, off by {previous}");
    }

    [Fact]
    public void EqualScores_GiveUniformCodes_AndTheEqualPartitionSplitsAPrototypeEveryoneFavours()
    {
        using var same = full(4, 5, 0.3f);
        using var uniform = Sinkhorn.Codes(same);
        Assert.True(uniform.allclose(full(4, 5, 0.2f), rtol: 0, atol: 1e-6), "equal scores: every code is 1/K");

        // Both samples prefer prototype 0 by the same margin: without the constraint both would go there; with it the
        // two samples share each prototype equally, i.e. both codes are (½, ½).
        using var favoured = tensor(new float[] { 1, 0, 1, 0 }, [2, 2]);
        using var split = Sinkhorn.Codes(favoured, iterations: 3);
        Assert.True(split.allclose(full(2, 2, 0.5f), rtol: 0, atol: 1e-6), $"codes {split.str()}");
    }

    [Fact]
    public void Codes_IgnoreAConstantShift_AndStayFinite_ForLargeScores()
    {
        using var scores = Array("scores");
        using var codes = Sinkhorn.Codes(scores);
        using var shifted = Sinkhorn.Codes(scores + 40);      // exp(41/0.05) overflows without the max shift
        Assert.True(shifted.isfinite().all().item<bool>());
        // float32 holds s + 40 to about 4e-6, i.e. 8e-5 in the exponent s/ε.
        Assert.True(shifted.allclose(codes, rtol: 0, atol: 1e-4), $"max difference {(shifted - codes).abs().max().item<float>()}");
    }

    [Fact]
    public void Codes_CarryNoGradient()
    {
        using var scores = Array("scores").requires_grad_();
        using var codes = Sinkhorn.Codes(scores);
        Assert.False(codes.requires_grad);
    }

    [Fact]
    public void InvalidArguments_AreRejected_NamingTheField()
    {
        using var scores = zeros(3, 2);
        Assert.Contains("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => Sinkhorn.Codes(scores, epsilon: 0)).Message);
        Assert.Contains("iterations", Assert.Throws<ArgumentOutOfRangeException>(() => Sinkhorn.Codes(scores, iterations: 0)).Message);
        using var flat = zeros(3);
        Assert.Contains("[B, K]", Assert.Throws<ArgumentException>(() => Sinkhorn.Codes(flat)).Message);
    }
}
