using SelfSup.Runs;

namespace SelfSup.Reporting;

/// <summary>
/// results.json (<see cref="EvaluationResults"/>) as the tables a reader compares: the pretrained encoder beside its
/// random-init twin and raw pixels under k-NN and a linear probe, and the pretext task's scores where the method has one.
/// </summary>
public static class EvaluationTables
{
    /// <summary>Rows pretrained / random-init twin / raw pixels; columns k-NN and linear top-1 (%).</summary>
    public static ReportTable Scores(EvaluationResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        string Pct(double v) => ReportTable.Number(v);
        return new ReportTable(null, ["features", $"k-NN top-1 (%, k = {r.KnnK})", "linear top-1 (%)"],
        [
            [$"pretrained ({r.Method}, {r.Encoder})", Pct(r.KnnTop1), Pct(r.LinearTop1)],
            ["random-init twin", Pct(r.RandomInit.KnnTop1), Pct(r.RandomInit.LinearTop1)],
            ["raw pixels", Pct(r.RawPixels.KnnTop1), Pct(r.RawPixels.LinearTop1)],
        ]);
    }

    /// <summary>The pretext accuracy against chance and any further pretext scores; null for methods without a pretext task.</summary>
    public static ReportTable? Pretext(EvaluationResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var rows = new List<IReadOnlyList<string>>();
        if (r.PretextAccuracy is { } acc)
            rows.Add([$"{r.PretextMetric ?? "pretext accuracy"} (%)", ReportTable.Number(acc), r.PretextChance is { } c ? ReportTable.Number(c) : ""]);
        foreach (var (name, value) in r.PretextScores ?? new Dictionary<string, double>())
            rows.Add([name, ReportTable.Number(value), ""]);
        return rows.Count == 0 ? null : new ReportTable("pretext task (test split)", ["score", "value", "chance (%)"], rows);
    }
}
