using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// Fixed 2-D sine-cosine position embeddings as in MAE (He et al. 2022, after "Attention Is All You Need"): the
/// first half of the D dimensions encodes the column (x), the second half the row (y); within each half the first
/// quarter is sin(pos·ω_i), the second cos(pos·ω_i), with ω_i = 1 / 10000^(i / (D/4)).
/// </summary>
public static class SinCosPositions
{
    /// <summary>Embeddings of a <paramref name="gridH"/>×<paramref name="gridW"/> grid in row-major token order: float32 [gridH·gridW, D] on the CPU.</summary>
    public static Tensor Grid2D(int dim, int gridH, int gridW)
    {
        if (dim <= 0 || dim % 4 != 0) throw new ArgumentException($"sin-cos positions: embedding dim must be a positive multiple of 4, got {dim}");
        if (gridH < 1 || gridW < 1) throw new ArgumentException($"sin-cos positions: grid must be at least 1×1, got {gridH}×{gridW}");
        using var scope = NewDisposeScope();
        var rows = arange(gridH, dtype: ScalarType.Float64).repeat_interleave(gridW); // [T]: row of each token
        var cols = arange(gridW, dtype: ScalarType.Float64).repeat(gridH);            // [T]: column of each token
        var emb = cat([OneD(dim / 2, cols), OneD(dim / 2, rows)], 1);                  // [T, D]
        return emb.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>1-D embeddings of positions [T] (float64): [T, dim] = [sin(pos·ω), cos(pos·ω)].</summary>
    public static Tensor OneD(int dim, Tensor positions)
    {
        if (dim <= 0 || dim % 2 != 0) throw new ArgumentException($"sin-cos positions: 1-D dim must be a positive even number, got {dim}");
        using var scope = NewDisposeScope();
        var omega = arange(dim / 2, dtype: ScalarType.Float64).div_(dim / 2.0);  // [dim/2]
        omega = pow(10000.0, omega).reciprocal_();
        var angles = outer(positions.to(ScalarType.Float64), omega);            // [T, dim/2]
        return cat([angles.sin(), angles.cos()], 1).MoveToOuterDisposeScope();
    }
}
