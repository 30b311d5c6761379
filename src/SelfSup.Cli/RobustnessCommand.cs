using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Evaluation;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>`selfsup eval robustness`: linear-probe accuracy under corruptions, and k-NN OOD detection against another dataset.</summary>
public static class RobustnessCommand
{
    public static Command Create()
    {
        var cmd = new Command("robustness", "Linear-probe accuracy under 6 corruptions × 5 severities; with --ood-data, k-NN OOD detection AUROC");
        var common = AnalysisOptions.Create(cmd);
        var oodData = new Option<string?>("--ood-data") { Description = "a shifted dataset whose test split is the out-of-distribution set (e.g. mnist for fashion-mnist)" };
        var oodK = new Option<int>("--ood-k") { Description = "OOD score: 1 − cosine similarity to the k-th nearest training embedding", DefaultValueFactory = _ => 1 };
        var corruptions = new Option<string?>("--corruptions") { Description = $"comma-separated subset of: {string.Join(", ", Corruptions.All.Select(Corruptions.Name))}" };
        foreach (var o in new Option[] { oodData, oodK, corruptions }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            var kinds = r.GetValue(corruptions) is { } list ? list.Split(',').Select(Corruptions.Parse).ToArray() : Corruptions.All;
            using var run = common.Open(r);
            var options = new RobustnessOptions { Device = run.Device, Corruptions = kinds, Seed = run.Seed, Log = new Progress(Cli.Info) };
            var results = new Dictionary<string, RobustnessScores>();
            foreach (var source in run.Sources) results[source.Name] = Robustness.Evaluate(source, run.Train, run.Test, options);
            PrintRobustness(results, kinds);
            var body = new JsonObject { ["seed"] = run.Seed, ["robustness"] = JsonSerializer.SerializeToNode(results) };

            if (r.GetValue(oodData) is { } oodName)
            {
                // decoded as the evaluation data, but its own test split: not the evaluation's label files or test folder
                using var ood = Datasets.Load(oodName, "test", run.DataOptions with { Labels = null, TestLabels = null, TestData = null });
                var k = r.GetValue(oodK);
                var ood_scores = new JsonObject();
                var table = new Table().Title(Markup.Escape($"OOD: {run.DataName} test (in) vs {oodName} test (out), score 1 − cos to the {k}-th NN in {run.Train.Count} train images"))
                    .AddColumns("features", "AUROC", "mean score in", "mean score out");
                foreach (var source in run.Sources)
                {
                    using var bank = source.Extract(run.Train).to(run.Device); // [N_train, D]
                    using var inside = source.Extract(run.Test);
                    using var outside = source.Extract(ood);
                    var s = OutOfDistribution.Evaluate(bank, inside, outside, k);
                    Cli.Info($"{source.Name}: OOD AUROC {s.Auroc:F4}");
                    table.AddRow(source.Name, $"{s.Auroc:F4}", $"{s.MeanScoreIn:F4}", $"{s.MeanScoreOut:F4}");
                    ood_scores[source.Name] = JsonSerializer.SerializeToNode(s);
                }
                AnsiConsole.Write(table);
                body["ood"] = new JsonObject { ["dataset"] = oodName, ["scores"] = ood_scores };
            }
            run.Save("robustness.json", body, clock);
            return 0;
        }));
        return cmd;
    }

    static void PrintRobustness(Dictionary<string, RobustnessScores> results, IReadOnlyList<CorruptionKind> kinds)
    {
        var table = new Table().Title("linear-probe test top-1 (%) under corruptions, mean over severities 1–5").AddColumn("features").AddColumn("clean");
        foreach (var kind in kinds) table.AddColumn(Corruptions.Name(kind));
        table.AddColumn("mean corrupted");
        foreach (var (name, s) in results)
            table.AddRow([name, $"{s.CleanTop1:F2}", .. kinds.Select(kd => $"{s.MeanByCorruption[Corruptions.Name(kd)]:F2}"), $"{s.MeanCorruptedTop1:F2}"]);
        AnsiConsole.Write(table);
    }

    sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
