using SelfSup.Leaderboard;

namespace SelfSup.Tests.Leaderboard;

public class BudgetPlannerTests
{
    [Fact]
    public void Plan_TrainsWholeEpochs_WhenTheyFillTheBudget()
    {
        // 1000 images / batch 10 = 100 steps of 0.1 s + 1 s overhead = 11 s per epoch: 8 of them (88 s) in 90 % of 100 s.
        // Nine epochs over a subset would give at most 9 × ⌊(10 − 1) / 0.1⌋ = 810 steps, not 5 % more than 800.
        var plan = BudgetPlanner.Plan(new StepRate(0.1, 1), budgetSeconds: 100, trainImages: 1000, batchSize: 10, safety: 0.9);

        Assert.Equal("epochs", plan.Kind);
        Assert.Equal(8, plan.Epochs);
        Assert.Equal(100, plan.StepsPerEpoch);
        Assert.Equal(800, plan.TotalSteps);
        Assert.Null(plan.DataLimit);
        Assert.Equal(88, plan.PlannedSeconds, 6);
    }

    [Fact]
    public void Plan_AddsAnEpochOverASubset_WhenWholeEpochsLeaveMuchOfTheBudget()
    {
        // 195-step epochs of 1 s: two fit in 540 s (390 steps, 390 s); three over a 180-batch subset fill it (540 steps).
        var plan = BudgetPlanner.Plan(new StepRate(1, 0), budgetSeconds: 600, trainImages: 19_500, batchSize: 100, safety: 0.9);

        Assert.Equal("subset", plan.Kind);
        Assert.Equal(3, plan.Epochs);
        Assert.Equal(180, plan.StepsPerEpoch);
        Assert.Equal(540, plan.TotalSteps);
        Assert.Equal(18_000, plan.DataLimit);
        Assert.Equal(540, plan.PlannedSeconds, 6);
    }

    [Fact]
    public void Plan_TrainsOneEpochOverASubset_WhenNoWholeEpochFits()
    {
        // A whole epoch is 100 steps of 1 s + 5 s = 105 s, more than 90 % of 60 s; (54 − 5) / 1 = 49 steps fit.
        var plan = BudgetPlanner.Plan(new StepRate(1, 5), budgetSeconds: 60, trainImages: 10_000, batchSize: 100, safety: 0.9);

        Assert.Equal("subset", plan.Kind);
        Assert.Equal(1, plan.Epochs);
        Assert.Equal(49, plan.StepsPerEpoch);
        Assert.Equal(49, plan.TotalSteps);
        Assert.Equal(4900, plan.DataLimit);
        Assert.Equal(54, plan.PlannedSeconds, 6);
    }

    [Fact]
    public void Plan_AlwaysFitsTheBudget_AndItsScheduleIsWhole()
    {
        var rng = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            var rate = new StepRate(0.01 + rng.NextDouble() * 3, rng.NextDouble() * 20);
            var batch = rng.Next(1, 513);
            var images = batch + rng.Next(0, 60_000);
            var budget = 60 + rng.NextDouble() * 1200;
            var safety = 0.5 + rng.NextDouble() * 0.5;

            var plan = BudgetPlanner.Plan(rate, budget, images, batch, safety);

            var what = $"case {i}: {rate}, budget {budget:F1}, {images} images, batch {batch}, safety {safety:F2} → {plan}";
            var usable = budget * safety;
            // The run's max_steps is the whole schedule: epochs × steps per epoch, never a cut.
            Assert.True(plan.TotalSteps == plan.Epochs * plan.StepsPerEpoch, what);
            // The loader drops the last partial batch: an epoch over the planned images is exactly the planned steps.
            Assert.True((plan.DataLimit ?? images) / batch == plan.StepsPerEpoch, what);
            Assert.True(plan.StepsPerEpoch >= 1 && plan.Epochs >= 1, what);
            // It fits, unless even one step does not (then it is the single step it cannot do without).
            Assert.True(rate.Seconds(plan.Epochs, plan.StepsPerEpoch) <= usable + 1e-9 || plan.TotalSteps == 1, what);
            // At least as many steps as whole epochs over all images give.
            long full = images / batch;
            var wholeEpochs = (long)Math.Floor(usable / rate.Seconds(1, full));
            Assert.True(plan.TotalSteps >= wholeEpochs * full, what);
            // A subset epoch is as long as fits: one more step each would not.
            if (plan.Kind == "subset" && plan.StepsPerEpoch < full)
                Assert.True(rate.Seconds(plan.Epochs, plan.StepsPerEpoch + 1) > usable, what);
        }
    }

    [Fact]
    public void StepRate_IsTheMedianStepAfterWarmUp_AndTheWarmUpExcessIsTheEpochOverhead()
    {
        // Steps end at 3.0, 3.5, 4.0, 4.6, 5.0 s: timed intervals 0.5, 0.6, 0.4 → median 0.5; the two warm-up steps took 3.5 s, 2.5 s more than two steps.
        var rate = StepRate.FromStepEnds([3.0, 3.5, 4.0, 4.6, 5.0], warmupSteps: 2);

        Assert.Equal(0.5, rate.SecondsPerStep, 9);
        Assert.Equal(2.5, rate.EpochOverheadSeconds, 9);
    }

    [Fact]
    public void StepRate_LeavesOneTimeWorkOutOfTheEpochOverhead()
    {
        // The same steps, 2 s of which the process spent once checking convolutions: 0.5 s of overhead per epoch is left;
        // more one-time work than the excess leaves none.
        Assert.Equal(0.5, StepRate.FromStepEnds([3.0, 3.5, 4.0, 4.6, 5.0], warmupSteps: 2, oneTimeSeconds: 2).EpochOverheadSeconds, 9);
        Assert.Equal(0, StepRate.FromStepEnds([3.0, 3.5, 4.0, 4.6, 5.0], warmupSteps: 2, oneTimeSeconds: 9).EpochOverheadSeconds, 9);
        Assert.Throws<ArgumentException>(() => StepRate.FromStepEnds([3.0, 3.5, 4.0], warmupSteps: 2, oneTimeSeconds: -1));
    }

    [Fact]
    public void Plan_RejectsTooFewImagesForOneBatch_NamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => BudgetPlanner.Plan(new StepRate(0.1, 0), 60, trainImages: 100, batchSize: 256));
        Assert.Contains("100 training images", e.Message);
        Assert.Contains("256", e.Message);
    }
}
