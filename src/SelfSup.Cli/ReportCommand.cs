using System.CommandLine;

namespace SelfSup.Cli;

/// <summary>`selfsup report runs/x`: one Markdown page gathering a run folder's config, curves, results and pictures.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var cmd = new Command("report", "Write runs/x/report.md: config, training curves (curves.png from metrics.jsonl), final metrics, and every result file and picture in the run folder");
        var run = new Argument<string>("run") { Description = "the run folder" };
        cmd.Arguments.Add(run);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var result = Reporting.RunReport.Write(r.GetValue(run)!);
            Console.WriteLine($"wrote {result.Path} ({result.Included.Count} files shown{(result.Missing.Count > 0 ? $"; missing: {string.Join(", ", result.Missing)}" : "")})");
            return 0;
        }));
        return cmd;
    }
}
