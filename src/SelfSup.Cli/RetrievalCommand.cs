using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Evaluation;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>`selfsup eval retrieval`: test images query the training images by cosine similarity; recall@k and mAP.</summary>
public static class RetrievalCommand
{
    public static Command Create()
    {
        var cmd = new Command("retrieval", "Image retrieval on frozen features (queries = test, gallery = train): recall@1/5/10 and mAP vs random init and raw pixels");
        var common = AnalysisOptions.Create(cmd);
        var leaveOneOut = new Option<bool>("--leave-one-out") { Description = "queries and gallery are both the test split, each query excluded from its own ranking" };
        cmd.Options.Add(leaveOneOut);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            using var run = common.Open(r);
            var loo = r.GetValue(leaveOneOut);
            var table = new Table().Title(Markup.Escape(loo
                    ? $"retrieval: leave-one-out within {run.Test.Count} {run.DataName} test images (%)"
                    : $"retrieval: {run.Test.Count} {run.DataName} test queries, {run.Train.Count} train gallery (%)"))
                .AddColumns("features", "recall@1", "recall@5", "recall@10", "mAP");
            var scores = new JsonObject();
            foreach (var source in run.Sources)
            {
                var sourceClock = Stopwatch.StartNew();
                using var queries = source.Extract(run.Test).to(run.Device); // [N_test, D]
                RetrievalScores s;
                if (loo) s = Retrieval.LeaveOneOut(queries, run.Test.Labels!);
                else
                {
                    using var gallery = source.Extract(run.Train).to(run.Device); // [N_train, D]
                    s = Retrieval.Evaluate(queries, run.Test.Labels!, gallery, run.Train.Labels!);
                }
                Cli.Info($"{source.Name}: recall@1 {s.RecallAt[1]:F2} %, mAP {s.MeanAveragePrecision:F2} %, {sourceClock.Elapsed.TotalSeconds:F1} s");
                table.AddRow(source.Name, $"{s.RecallAt[1]:F2}", $"{s.RecallAt[5]:F2}", $"{s.RecallAt[10]:F2}", $"{s.MeanAveragePrecision:F2}");
                scores[source.Name] = JsonSerializer.SerializeToNode(s);
            }
            AnsiConsole.Write(table);
            run.Save("retrieval.json", new JsonObject { ["protocol"] = loo ? "leave_one_out_test" : "test_queries_train_gallery", ["similarity"] = "cosine", ["scores"] = scores }, clock);
            return 0;
        }));
        return cmd;
    }
}
