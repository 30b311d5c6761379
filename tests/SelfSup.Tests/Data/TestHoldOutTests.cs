using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class TestHoldOutTests
{
    [Fact]
    public void Key_NamesPercentAndSeed()
    {
        Assert.Equal("held_out_20pct_seed_0", new TestHoldOut().Key);
        Assert.Equal("held_out_12.5pct_seed_3", new TestHoldOut(0.125, 3).Key);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Fraction_OutsideTheOpenUnitInterval_Throws(double fraction)
    {
        var e = Assert.Throws<ArgumentException>(() => new TestHoldOut(fraction));
        Assert.Contains("test fraction must be in (0, 1)", e.Message);
    }

    [Theory]
    [InlineData(1, 0)] // a single image stays in train
    [InlineData(2, 1)]
    [InlineData(3, 1)] // 0.6 rounds to 1
    [InlineData(10, 2)]
    [InlineData(13, 3)] // 2.6 rounds to 3
    public void TestRowsOf_RoundsTheShare_KeepingARowOnEachSide(int count, int expected) =>
        Assert.Equal(expected, new TestHoldOut(0.2).TestRowsOf(count));

    [Fact]
    public void TestRowsOf_NeverTakesTheWholeClass() => Assert.Equal(1, new TestHoldOut(0.9).TestRowsOf(2));
}
