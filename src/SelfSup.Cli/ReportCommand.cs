using System.CommandLine;
using SelfSup.Reporting;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup report runs/x [--html]`: one page per run folder gathering its config, curves, results and pictures
/// (Markdown, or a self-contained HTML page); `selfsup report runs/* --compare`: one HTML page comparing the runs.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var cmd = new Command("report", "Write runs/x/report.md (or report.html with --html): config, training curves (curves.png from metrics.jsonl), final metrics, and every result file and picture in the run folder; with --compare, one HTML page comparing the runs");
        var runs = new Argument<string[]>("runs") { Description = "the run folder(s); arguments that are not folders (runs/*.log) are skipped", Arity = ArgumentArity.OneOrMore };
        var html = new Option<bool>("--html") { Description = "write report.html, one self-contained page (pictures inlined, no scripts or external files), instead of report.md" };
        var compare = new Option<bool>("--compare") { Description = "write one HTML page comparing the runs: their results, the config fields in which they differ, their loss curves overlaid" };
        var output = new Option<string>("--out") { Description = "with --compare: the page's path (default: compare.html in the runs' common parent folder)" };
        cmd.Arguments.Add(runs);
        cmd.Options.Add(html);
        cmd.Options.Add(compare);
        cmd.Options.Add(output);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var given = r.GetValue(runs)!;
            var folders = given.Where(Directory.Exists).ToList();
            foreach (var skipped in given.Where(g => !Directory.Exists(g)))
                Console.Error.WriteLine(File.Exists(skipped) ? $"skipped {skipped}: not a folder" : $"skipped {skipped}: not found");
            if (folders.Count == 0) throw new ArgumentException($"report: none of {string.Join(", ", given)} is a run folder");
            var outPath = r.GetValue(output);
            if (r.GetValue(compare))
            {
                var path = CompareReport.Write(folders, outPath ?? Path.Combine(CommonParent(folders), CompareReport.FileName));
                Console.WriteLine($"wrote {path} ({folders.Count} runs compared)");
                return 0;
            }
            if (outPath is not null) throw new ArgumentException("report: --out applies to --compare; a run's page is written into its folder");
            foreach (var folder in folders)
            {
                var result = r.GetValue(html) ? RunReportHtml.Write(folder) : RunReport.Write(folder);
                Console.WriteLine($"wrote {result.Path} ({result.Included.Count} files shown{(result.Missing.Count > 0 ? $"; missing: {string.Join(", ", result.Missing)}" : "")})");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>The deepest folder holding every one of <paramref name="folders"/>.</summary>
    static string CommonParent(IReadOnlyList<string> folders)
    {
        var parents = folders.Select(f => Path.GetDirectoryName(Path.GetFullPath(f).TrimEnd(Path.DirectorySeparatorChar)) ?? "/").ToList();
        var common = parents[0];
        while (!parents.All(p => p == common || p.StartsWith(common.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            common = Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}
