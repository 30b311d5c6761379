using SelfSup.Training;

namespace SelfSup.Tests.Training;

public class SchedulesTests
{
    [Fact]
    public void WarmupCosine_RisesLinearlyThenDecaysToFinal()
    {
        var lr = Schedules.WarmupCosine(1.0, totalSteps: 10, warmupSteps: 4, finalValue: 0.1);
        Assert.Equal(10, lr.Length);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], lr[..4]);
        Assert.Equal(1.0, lr[4], 12);                  // cosine starts at the peak
        Assert.Equal(0.1, lr[9], 12);                  // and ends at the final value
        Assert.Equal(0.1 + 0.45 * (1 + Math.Cos(Math.PI * 2 / 5)), lr[6], 12);
        for (var t = 5; t < 10; t++) Assert.True(lr[t] <= lr[t - 1]);
    }

    [Fact]
    public void WarmupCosine_WithoutWarmup_StartsAtPeak()
    {
        var lr = Schedules.WarmupCosine(0.3, totalSteps: 3, warmupSteps: 0);
        Assert.Equal([0.3, 0.15, 0.0], lr.Select(v => Math.Round(v, 12)).ToArray());
    }

    [Fact]
    public void WarmupCosine_WithWarmupOverEveryStep_IsThePureRamp()
    {
        Assert.Equal([0.5, 1.0], Schedules.WarmupCosine(1.0, totalSteps: 2, warmupSteps: 5));
    }

    [Fact]
    public void Cosine_RisingWeightDecay_MatchesHandComputedValues()
    {
        // end + ½(start − end)(1 + cos(π t/4)) with start 0.04, end 0.4: 0.4 − 0.18 (1 + cos(π t/4)).
        var wd = Schedules.Cosine(0.04, 0.4, totalSteps: 5);
        double[] expected = [0.04, 0.4 - 0.18 * (1 + Math.Sqrt(0.5)), 0.22, 0.4 - 0.18 * (1 - Math.Sqrt(0.5)), 0.4];
        Assert.Equal(5, wd.Length);
        for (var t = 0; t < 5; t++) Assert.Equal(expected[t], wd[t], 12);
        Assert.Equal(0.0927207794, wd[1], 9);
    }

    [Fact]
    public void Cosine_TeacherMomentum_StartsAtBaseAndReachesOne()
    {
        var m = Schedules.Cosine(0.996, 1.0, totalSteps: 1001);
        Assert.Equal(0.996, m[0], 15);
        Assert.Equal(1.0, m[^1], 15);
        Assert.Equal(0.998, m[500], 12);                               // halfway: the mean of the two
        for (var t = 1; t < m.Length; t++) Assert.True(m[t] >= m[t - 1]);
        Assert.True(m[1] - m[0] < m[501] - m[500]);                    // slow at the ends, fastest in the middle
    }

    [Fact]
    public void Cosine_Falling_IsTheMirrorOfRising()
    {
        var up = Schedules.Cosine(0.2, 1.0, totalSteps: 7);
        var down = Schedules.Cosine(1.0, 0.2, totalSteps: 7);
        for (var t = 0; t < 7; t++) Assert.Equal(up[t], down[6 - t], 12);
    }

    [Fact]
    public void Linear_MatchesHandComputedValues()
    {
        var m = Schedules.Linear(0.996, 1.0, totalSteps: 5);
        double[] expected = [0.996, 0.997, 0.998, 0.999, 1.0];
        for (var t = 0; t < 5; t++) Assert.Equal(expected[t], m[t], 12);
    }

    [Fact]
    public void SingleStep_HoldsTheStartValue()
    {
        Assert.Equal([0.04], Schedules.Cosine(0.04, 0.4, 1));
        Assert.Equal([0.996], Schedules.Linear(0.996, 1.0, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void NonPositiveTotalSteps_AreRejectedWithTheField(long totalSteps)
    {
        var cosine = Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Cosine(0.04, 0.4, totalSteps));
        var linear = Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Linear(0.04, 0.4, totalSteps));
        var warmup = Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.WarmupCosine(1, totalSteps, 0));
        foreach (var e in new[] { cosine, linear, warmup })
        {
            Assert.Equal("totalSteps", e.ParamName);
            Assert.Contains("> 0", e.Message);
        }
    }
}
