using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

/// <summary>Comparisons for the encoder tests (TorchSharp's <c>Tensor.equal</c> is element-wise).</summary>
static class TensorAssert
{
    public static void Identical(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var same = expected.eq(actual).all();
        Assert.True(same.item<bool>(), $"{what}: values differ");
    }

    /// <summary>‖a − b‖ ≤ tolerance · ‖a‖ (plus a small absolute floor for tensors near zero).</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var diff = (expected - actual).norm();
        using var norm = expected.norm();
        double d = diff.to(float64).item<double>(), n = norm.to(float64).item<double>();
        Assert.True(d <= tolerance * n + 1e-6, $"{what}: ‖diff‖ {d:G4} > {tolerance:G2} × ‖expected‖ {n:G4}");
    }
}
