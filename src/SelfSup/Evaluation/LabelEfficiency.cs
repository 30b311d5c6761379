using System.Diagnostics;
using System.Globalization;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>
/// How much a pretrained encoder saves in labels: for each label budget (a count per class, a percentage of the
/// training labels or all, <see cref="LabelBudget"/>) and seed, one subset of the training split
/// (<see cref="LabelBudget.Draw"/>) trains (a) the same architecture from random
/// init, (b) a linear probe on the frozen pretrained features and (c) a fine-tuned copy of the pretrained encoder;
/// each is scored on the whole test split.
/// </summary>
public static class LabelEfficiency
{
    /// <summary>
    /// Runs the three arms. <paramref name="buildFresh"/>(seed) makes a randomly initialised encoder of the
    /// pretrained one's architecture: the scratch arm's starting point and the fine-tuning arm's container for a copy
    /// of the pretrained weights (the pretrained encoder is never modified).
    /// </summary>
    public static LabelEfficiencyResults Run(Encoder pretrained, Func<int, Encoder> buildFresh, ImageDataset train, ImageDataset test,
        ChannelStats stats, LabelEfficiencyOptions options)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(buildFresh);
        var device = options.Device ?? pretrained.parameters().FirstOrDefault()?.device ?? CPU;
        var numClasses = Math.Max(train.NumClasses, test.NumClasses);
        var fineTune = options.FineTune with { Device = device, Log = null };
        var scratch = (options.Scratch ?? ScratchRecipe(options.FineTune)) with { Device = device, Log = null };
        fineTune.Validate();
        scratch.Validate();
        Validate(train, test, options);
        FineTuner.CheckFrozenStages(pretrained, fineTune.FrozenStages); // before any arm trains

        using var testFeatures = Features.Extract(pretrained, test, stats, device); // [N_test, D]
        var arms = new LabelEfficiencyArms(
            Scratch: (subset, seed) => FitOnGrid(() => buildFresh(seed), null, subset, test, stats, scratch with { Seed = seed }, options),
            LinearProbe: (subset, seed) =>
            {
                using var scope = NewDisposeScope();
                var features = Features.Extract(pretrained, subset, stats, device); // [N, D]
                using var probe = LinearProbe.Fit(features, subset.Labels!, numClasses, options.Probe with { Seed = seed });
                var logits = testFeatures.to(probe.Weight.device).matmul(probe.Weight).add(probe.Bias); // [N_test, classes]
                return new ArmRun(ClassifierScore.FromLogits(logits, test.Labels!), null);
            },
            FineTune: (subset, seed) => FitOnGrid(() => buildFresh(seed), pretrained, subset, test, stats, fineTune with { Seed = seed }, options));
        var points = RunArms(train, options, arms);
        return new LabelEfficiencyResults
        {
            Dataset = train.Name,
            Encoder = pretrained.GetName(),
            Seeds = options.Seeds,
            TestImages = test.Count,
            FineTune = FineTuneOptionsSummary.Of(fineTune),
            Scratch = FineTuneOptionsSummary.Of(scratch),
            Points = points,
            LrGrid = options.LrGrid,
        };
    }

    /// <summary>
    /// Trains one arm at every rate of <see cref="LabelEfficiencyOptions.LrGrid"/> and scores on the test split only
    /// the run with the best validation top-1 (ties: the lower validation loss, then the earlier rate).
    /// </summary>
    static ArmRun FitOnGrid(Func<Encoder> build, Encoder? pretrained, ImageDataset subset, ImageDataset test,
        ChannelStats stats, FineTuneOptions recipe, LabelEfficiencyOptions options)
    {
        FineTunedModel? best = null;
        var bestMultiplier = 1.0;
        (double Top1, double Loss) bestScore = (double.NegativeInfinity, double.PositiveInfinity);
        // Nothing held out to choose by (e.g. 1 label per class): the recipe's own rate.
        var heldOut = FineTuner.SplitValidation(subset.Labels!, recipe.ValidationFraction, recipe.Seed).Validation.Length > 0;
        var grid = heldOut ? options.LrGrid : [1.0];
        try
        {
            foreach (var m in grid)
            {
                var model = FineTuner.Fit(build, pretrained, subset, stats, recipe with { LearningRate = recipe.LearningRate * m });
                var kept = model.History[model.BestEpoch];
                (double Top1, double Loss) score = (kept.ValTop1 ?? 0, kept.ValLoss ?? double.PositiveInfinity);
                if (best is null || score.Top1 > bestScore.Top1 || (score.Top1 == bestScore.Top1 && score.Loss < bestScore.Loss))
                {
                    best?.Dispose();
                    (best, bestScore, bestMultiplier) = (model, score, m);
                }
                else model.Dispose();
            }
            return new ArmRun(best!.Test(test, stats), best.BestEpoch) { LrMultiplier = bestMultiplier };
        }
        finally
        {
            best?.Dispose();
        }
    }

    /// <summary>
    /// The from-scratch recipe derived from the fine-tuning one: nothing pretrained to protect, so every layer trains
    /// at the head's rate (no backbone factor, no layer decay, nothing frozen, no probe to start the head from), for
    /// twice the epochs and steps.
    /// </summary>
    public static FineTuneOptions ScratchRecipe(FineTuneOptions fineTune) => fineTune with
    {
        BackboneLrFactor = 1,
        LayerDecay = null,
        FrozenStages = 0,
        Epochs = 2 * fineTune.Epochs,
        MinSteps = 2 * fineTune.MinSteps,
        HeadFromProbe = false,
    };

    /// <summary>Parses "0.3,1,3": positive learning-rate multipliers for <see cref="LabelEfficiencyOptions.LrGrid"/>.</summary>
    public static IReadOnlyList<double> ParseLrGrid(string text)
    {
        var values = new List<double>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0) values.Add(m);
            else throw new ArgumentException($"--lr-grid: expected positive numbers separated by commas, got '{raw}' in '{text}'");
        }
        if (values.Count == 0) throw new ArgumentException($"--lr-grid: no values in '{text}'");
        return values;
    }

    /// <summary>Parses "1,5,10,1%,10%,all" for <c>--labels-per-class</c> (<see cref="LabelBudget.ParseList"/>).</summary>
    public static IReadOnlyList<LabelBudget> ParseLabelsPerClass(string text) => LabelBudget.ParseList(text);

    /// <summary>Checks labels and class sizes before any training starts, naming the class that is too small.</summary>
    public static void Validate(ImageDataset train, ImageDataset test, LabelEfficiencyOptions options)
    {
        if (options.LrGrid.Count == 0 || options.LrGrid.Any(m => !(m > 0)))
            throw new ArgumentException($"--lr-grid: expected positive multipliers, got '{string.Join(",", options.LrGrid)}'");
        if (train.Labels is null) throw new ArgumentException($"label efficiency: dataset '{train.Name}' has no labels");
        if (test.Labels is null) throw new ArgumentException($"label efficiency: test dataset '{test.Name}' has no labels");
        if (options.Seeds.Count == 0) throw new ArgumentException("label efficiency: at least one seed is needed");
        if (options.LabelsPerClass.Count == 0) throw new ArgumentException("label efficiency: no labels-per-class values");
        var counts = train.Labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        foreach (var budget in options.LabelsPerClass.Where(b => b.Percent is not null))
            budget.Allocate(counts.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray()); // throws when too few images
        if (options.LabelsPerClass.Select(b => b.PerClass).Max() is not { } most) return;
        foreach (var (cls, count) in counts.OrderBy(kv => kv.Key))
            if (count < most)
            {
                var name = cls < train.ClassNames.Count ? train.ClassNames[(int)cls] : cls.ToString(CultureInfo.InvariantCulture);
                throw new ArgumentException(
                    $"--labels-per-class {most}: class '{name}' of '{train.Name}' has only {count} training images " +
                    $"(class sizes: {string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))})");
            }
    }

    /// <summary>Every (label budget, seed) subset through the three arms, in order; the subset is made once and shared.</summary>
    internal static List<LabelEfficiencyPoint> RunArms(ImageDataset train, LabelEfficiencyOptions options, LabelEfficiencyArms arms)
    {
        var points = new List<LabelEfficiencyPoint>();
        var numClasses = train.Labels!.Distinct().Count();
        using var meter = WorkProgress.Start("label efficiency", (long)options.LabelsPerClass.Count * options.Seeds.Count, "subsets");
        foreach (var budget in options.LabelsPerClass)
        {
            var clock = Stopwatch.StartNew();
            var (scratch, probe, fine) = (new List<ArmRun>(), new List<ArmRun>(), new List<ArmRun>());
            var labeledImages = 0;
            var label = budget.Label;
            foreach (var seed in options.Seeds)
            {
                using var subset = budget.Draw(train, seed);
                labeledImages = subset.Count;
                var s = arms.Scratch(subset, seed);
                var p = arms.LinearProbe(subset, seed);
                var f = arms.FineTune(subset, seed);
                scratch.Add(s);
                probe.Add(p);
                fine.Add(f);
                meter.Advance();
                options.Log?.Report(string.Create(CultureInfo.InvariantCulture,
                    $"{label}{(budget.Percent is null ? " labels/class" : " of the labels")}, seed {seed}: scratch {s}, linear probe {p}, fine-tune {f} ({clock.Elapsed.TotalSeconds:F0} s)"));
            }
            points.Add(new LabelEfficiencyPoint
            {
                LabelsPerClass = label,
                PerClass = budget.PerClass ?? (double)labeledImages / numClasses,
                LabeledImages = labeledImages,
                Scratch = ArmScore.Of(scratch.Select(r => r.Score.Top1).ToList()),
                LinearProbe = ArmScore.Of(probe.Select(r => r.Score.Top1).ToList()),
                FineTune = ArmScore.Of(fine.Select(r => r.Score.Top1).ToList()),
                ScratchAuroc = ArmRun.Auroc(scratch),
                LinearProbeAuroc = ArmRun.Auroc(probe),
                FineTuneAuroc = ArmRun.Auroc(fine),
                ScratchBestEpochs = scratch.Select(r => r.BestEpoch ?? 0).ToList(),
                FineTuneBestEpochs = fine.Select(r => r.BestEpoch ?? 0).ToList(),
                ScratchLrMultipliers = scratch.Select(r => r.LrMultiplier).ToList(),
                FineTuneLrMultipliers = fine.Select(r => r.LrMultiplier).ToList(),
                Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            });
        }
        return points;
    }
}

/// <summary>The three ways a labelled subset is turned into a test score; scratch and fine-tuning also report the epoch kept.</summary>
internal sealed record LabelEfficiencyArms(
    Func<ImageDataset, int, ArmRun> Scratch,
    Func<ImageDataset, int, ArmRun> LinearProbe,
    Func<ImageDataset, int, ArmRun> FineTune);

/// <summary>One arm on one subset: its test score and, for trained arms, the epoch early stopping kept.</summary>
internal sealed record ArmRun(ClassifierScore Score, int? BestEpoch)
{
    public ArmRun(double top1, int? bestEpoch = null) : this(new ClassifierScore(top1, null), bestEpoch) { }

    /// <summary>The learning-rate multiplier of the grid that validation chose (1 without a search).</summary>
    public double LrMultiplier { get; init; } = 1;

    /// <summary>AUROC over the runs, when every run has one (two-class tasks).</summary>
    public static ArmScore? Auroc(IReadOnlyList<ArmRun> runs) =>
        runs.Count > 0 && runs.All(r => r.Score.Auroc is not null) ? ArmScore.Of(runs.Select(r => 100 * r.Score.Auroc!.Value).ToList()) : null;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Score.Top1:F2}{(Score.Auroc is { } a ? $" (AUROC {a:F4})" : "")}{(BestEpoch is null ? "" : $" [lr ×{LrMultiplier:G}]")}");
}
