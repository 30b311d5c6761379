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
}
