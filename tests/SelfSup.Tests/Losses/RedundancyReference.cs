using System.Text.Json;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

/// <summary>
/// The Barlow Twins and VICReg reference values computed by an independent PyTorch implementation written from the
/// papers (tests/SelfSup.Tests/Fixtures/redundancy_reference.py, float64, committed with redundancy_reference.json).
/// </summary>
static class RedundancyReference
{
    static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "redundancy_reference.json"))).RootElement;

    public static double Scalar(string key) => Root.GetProperty(key).GetDouble();

    /// <summary>A [R, C] array of the fixture as a float32 tensor (leaf, optionally tracking gradients).</summary>
    public static Tensor Matrix(string key, bool requiresGrad = false)
    {
        var rows = Root.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]).requires_grad_(requiresGrad);
    }

    /// <summary>Asserts the largest absolute difference is at most <paramref name="tolerance"/>.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"{what}: max difference {diff} > {tolerance}");
    }

    /// <summary>
    /// Four rows whose columns are the non-constant columns of the 4 × 4 Hadamard matrix: each column has mean 0 and
    /// biased variance 1, and the columns are orthogonal — standardised, decorrelated embeddings [4, 3].
    /// </summary>
    public static Tensor Decorrelated() => tensor(new float[,]
    {
        { 1, 1, 1 },
        { 1, -1, -1 },
        { -1, 1, -1 },
        { -1, -1, 1 },
    });
}
