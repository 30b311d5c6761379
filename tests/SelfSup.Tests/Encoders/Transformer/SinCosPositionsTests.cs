using SelfSup.Encoders.Transformer;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders.Transformer;

public class SinCosPositionsTests
{
    [Fact]
    public void Grid2D_MatchesHandValues_ColumnHalfThenRowHalf()
    {
        // D = 8: ω = (1, 1/100); token (row 1, col 2) of a 3×3 grid is index 5.
        using var emb = SinCosPositions.Grid2D(8, 3, 3);
        Assert.Equal(new long[] { 9, 8 }, emb.shape);
        var row = emb[5].data<float>().ToArray();
        double[] expected = [Math.Sin(2), Math.Sin(0.02), Math.Cos(2), Math.Cos(0.02), Math.Sin(1), Math.Sin(0.01), Math.Cos(1), Math.Cos(0.01)];
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], row[i], 5);
    }

    [Fact]
    public void Origin_IsZeroSinesAndUnitCosines()
    {
        using var emb = SinCosPositions.Grid2D(16, 2, 2);
        var row = emb[0].data<float>().ToArray();
        for (int i = 0; i < 16; i++) Assert.Equal((i / 4) % 2 == 0 ? 0f : 1f, row[i]);
    }

    [Fact]
    public void DimensionNotAMultipleOfFour_IsAnError() =>
        Assert.Contains("multiple of 4", Assert.Throws<ArgumentException>(() => SinCosPositions.Grid2D(6, 2, 2)).Message);
}
