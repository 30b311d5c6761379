using System.Globalization;
using SelfSup.Evaluation;
using SelfSup.Runs;

namespace SelfSup.Leaderboard;

/// <summary>One row of the table: a method, or a reference row drawn from a method's evaluation (random init, raw pixels, scratch).</summary>
public sealed record LeaderboardRow
{
    public required string Name { get; init; }
    public required string Family { get; init; }
    public string Encoder { get; init; } = "";
    public string Budget { get; init; } = "";
    public string Steps { get; init; } = "";
    public double? Knn { get; init; }
    public double? Linear { get; init; }
    /// <summary>Fine-tuning (or, for the scratch row, training from scratch) at a few labels per class.</summary>
    public ArmScore? FineTune { get; init; }
    /// <summary>Two-class data: the linear probe's and the fine-tuned model's test AUROC × 100.</summary>
    public double? LinearAuroc { get; init; }
    public ArmScore? FineTuneAuroc { get; init; }
    /// <summary>The result file, relative to the page.</summary>
    public required string Link { get; init; }
    public bool Reference { get; init; }
    public string? Note { get; init; }
    /// <summary>A method row's own random-init twin (its evaluation's <c>random_init</c>): what it must beat.</summary>
    public ProbeScores? Twin { get; init; }

    /// <summary>"k-NN 74.52 vs 78.69" for each score below the twin's; empty when none is (or there is no twin).</summary>
    public IReadOnlyList<string> BelowTwin()
    {
        if (Reference || Twin is not { } t) return [];
        var c = CultureInfo.InvariantCulture;
        var below = new List<string>();
        if (Knn < t.KnnTop1) below.Add(string.Create(c, $"k-NN {Knn:F2} vs {t.KnnTop1:F2}"));
        if (Linear < t.LinearTop1) below.Add(string.Create(c, $"linear {Linear:F2} vs {t.LinearTop1:F2}"));
        return below;
    }
}

/// <summary>
/// Turns a dataset's leaderboard result files into rows: one per trained method, plus the reference rows every
/// evaluation already measures — the random-init encoder (BatchNorm re-estimated) and raw pixels, taken from one
/// plain-encoder method's evaluation per encoder, and supervised training from scratch at the fine-tuning labels per
/// class (the label-efficiency scratch arm). Sorted by linear probe, best first; rows without one last.
/// </summary>
public static class LeaderboardTable
{
    /// <summary>
    /// Methods whose representation is the encoder itself, in the order their evaluation is preferred as the source of
    /// the random-init, raw-pixel and scratch rows (colorization's twin sees one channel, split-brain's is two halves,
    /// CPC's works on patches, PCA's is a projection: none of those is the plain architecture). Those that keep the
    /// encoder's standard initialisation come first, so the row shows the twin most methods share; SimCLR, SimSiam,
    /// Barlow Twins and VICReg zero each residual branch's last BatchNorm (zero_init_residual) and come last.
    /// </summary>
    public static readonly IReadOnlyList<string> PlainRepresentation =
        ["moco-v2", "byol", "mae", "moco-v3", "dino", "ibot", "swav", "deepcluster", "triplet", "rotation", "simclr", "simsiam", "barlow-twins", "vicreg"];

    /// <param name="files">The dataset's result files with their links relative to the page.</param>
    public static IReadOnlyList<LeaderboardRow> Rows(IEnumerable<(LeaderboardEntry Entry, string Link)> files)
    {
        var done = files.Where(f => f.Entry.Status == EntryStatus.Done && f.Entry.Evaluation is not null).ToList();
        var rows = done.Select(f => MethodRow(f.Entry, f.Link)).ToList();
        var sources = done
            .Where(f => PlainRepresentation.Contains(f.Entry.Method, StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => IndexOf(f.Entry.Method))
            .GroupBy(f => f.Entry.Encoder ?? "")
            .Select(g => g.First())
            .ToList();
        foreach (var (entry, link) in sources)
        {
            var eval = entry.Evaluation!;
            var from = $"from {entry.Method}'s evaluation";
            rows.Add(new LeaderboardRow
            {
                Name = "random init",
                Family = "reference",
                Encoder = entry.Encoder ?? eval.Encoder,
                Link = link,
                Reference = true,
                Knn = eval.RandomInit.KnnTop1,
                Linear = eval.RandomInit.LinearTop1,
                Steps = "0",
                FineTune = null,
                Note = $"same architecture, untrained, BatchNorm statistics re-estimated; {from}",
            });
            if (entry.FineTune is { } ft)
                rows.Add(new LeaderboardRow
                {
                    Name = $"supervised from scratch, {ft.LabelsPerClass} labels/class",
                    Family = "reference",
                    Encoder = entry.Encoder ?? eval.Encoder,
                    Link = link,
                    Reference = true,
                    FineTune = ft.Scratch,
                    FineTuneAuroc = ft.ScratchAuroc,
                    Note = $"the label-efficiency scratch arm on the same subsets; {from}",
                });
        }
        if (sources.Count > 0 || done.Count > 0)
        {
            var (entry, link) = sources.Count > 0 ? sources[0] : done[0];
            var eval = entry.Evaluation!;
            rows.Add(new LeaderboardRow
            {
                Name = "raw pixels",
                Family = "reference",
                Encoder = "flattened pixels",
                Link = link,
                Reference = true,
                Knn = eval.RawPixels.KnnTop1,
                Linear = eval.RawPixels.LinearTop1,
                Note = $"standardised, {eval.RawPixelsTrainImages} training images; from {entry.Method}'s evaluation",
            });
        }
        return rows
            .OrderBy(r => r.Linear is null)
            .ThenByDescending(r => r.Linear ?? double.NegativeInfinity)
            .ThenByDescending(r => r.FineTune?.Mean ?? double.NegativeInfinity)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    static int IndexOf(string method)
    {
        for (var i = 0; i < PlainRepresentation.Count; i++)
            if (PlainRepresentation[i].Equals(method, StringComparison.OrdinalIgnoreCase)) return i;
        return int.MaxValue;
    }

    static LeaderboardRow MethodRow(LeaderboardEntry e, string link)
    {
        var c = CultureInfo.InvariantCulture;
        var eval = e.Evaluation!;
        var plan = e.Plan;
        var closedForm = plan?.Kind == "closed-form";
        var budget = plan is null ? "" : closedForm
            ? string.Create(c, $"closed form, {e.ActualSeconds ?? 0:F0} s")
            : string.Create(c, $"{plan.BudgetSeconds:F0} s (planned {plan.PlannedSeconds:F0}, ran {e.ActualSeconds ?? 0:F0})");
        var steps = plan is null || closedForm ? "—"
            : string.Create(c, $"{e.StepsDone ?? plan.TotalSteps} ({plan.Epochs} ep × {plan.StepsPerEpoch}{(plan.DataLimit is { } n ? $", {n:N0}-image subset" : "")})");
        return new LeaderboardRow
        {
            Name = e.Method,
            Family = e.Family,
            Encoder = e.Encoder ?? eval.Encoder,
            Budget = budget,
            Steps = steps,
            Knn = eval.KnnTop1,
            Linear = eval.LinearTop1,
            FineTune = e.FineTune?.FineTune,
            LinearAuroc = e.LinearAuroc,
            FineTuneAuroc = e.FineTune?.FineTuneAuroc,
            Link = link,
            Reference = closedForm,
            Note = e.Note,
            Twin = closedForm ? null : eval.RandomInit,
        };
    }
}
