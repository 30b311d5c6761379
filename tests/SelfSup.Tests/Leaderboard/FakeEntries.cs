using SelfSup.Evaluation;
using SelfSup.Leaderboard;
using SelfSup.Runs;

namespace SelfSup.Tests.Leaderboard;

/// <summary>Leaderboard rows with made-up scores, for tests that need result files without training.</summary>
internal static class FakeEntries
{
    public static readonly ResultProvenance Provenance = new(["selfsup bench methods --data cifar10"], "0123456789abcdef0123456789abcdef01234567",
        "2-core CPU (test), no GPU", "2026-12-01", "made by a test");

    public static LeaderboardEntry Done(string method, string family, double knn, double linear, double budget = 600, string dataset = "cifar10",
        string encoder = "resnet18 w16", double? fineTune = null, double? scratch = null, double? auroc = null, bool closedForm = false) => new()
        {
            Method = method,
            Family = family,
            Dataset = dataset,
            Status = EntryStatus.Done,
            Encoder = encoder,
            BatchSize = 256,
            Rate = closedForm ? null : new StepRate(1.2, 4),
            Plan = closedForm ? BudgetPlanner.ClosedForm(budget)
                : new BudgetPlan { Kind = "epochs", Epochs = 2, StepsPerEpoch = 195, TotalSteps = 390, BudgetSeconds = budget, PlannedSeconds = 476 },
            ActualSeconds = closedForm ? 6 : 481,
            StepsDone = closedForm ? null : 390,
            Evaluation = new EvaluationResults
            {
                Method = method,
                Dataset = dataset,
                Encoder = encoder,
                KnnTop1 = knn,
                LinearTop1 = linear,
                RandomInit = new ProbeScores(33.48, 35.21),
                RawPixels = new ProbeScores(39.29, 30.71),
                RawPixelsTrainImages = 10_000,
            },
            FineTune = fineTune is { } ft
                ? new LabelEfficiencyPoint
                {
                    LabelsPerClass = "10",
                    PerClass = 10,
                    LabeledImages = 100,
                    Scratch = ArmScore.Of([scratch ?? 20.0]),
                    LinearProbe = ArmScore.Of([ft - 1]),
                    FineTune = ArmScore.Of([ft]),
                    ScratchAuroc = auroc is null ? null : ArmScore.Of([60.0]),
                    FineTuneAuroc = auroc is null ? null : ArmScore.Of([auroc.Value + 1]),
                }
                : null,
            LinearAuroc = auroc,
        };

    /// <summary>Writes each entry as docs/results/leaderboard-DATASET-METHOD.json under <paramref name="docs"/>.</summary>
    public static void WriteDocs(string docs, params LeaderboardEntry[] entries)
    {
        foreach (var e in entries)
            new LeaderboardResultFile(Provenance, e).Save(Path.Combine(docs, "results", LeaderboardPage.ResultFileName(e.Dataset, e.Method)));
    }
}
