using System.CommandLine;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>
/// The flags every command that evaluates on labelled data shares: how the test split is made (`--test-fraction`) and
/// label files for an image folder (`--labels`, `--test-labels`). One place adds them and applies them.
/// </summary>
internal sealed class EvalDataFlags
{
    readonly Option<double> testFraction = new("--test-fraction")
    {
        Description = "share of every class held out (seeded, stratified) as the test split when the dataset has no test split of its own",
        DefaultValueFactory = _ => 0.2,
    };
    readonly Option<string?> labels = new("--labels")
    {
        Description = "label file (CSV or TSV, columns path,label, paths relative to the --data folder) labelling a subset of an unlabeled image folder; its test split is a seeded, stratified hold-out",
    };
    readonly Option<string?> testLabels = new("--test-labels")
    {
        Description = "label file of the test split (same format and folder as --labels, no path in both); default: a held-out share of --labels",
    };

    /// <summary>Adds the flags to <paramref name="cmd"/>.</summary>
    public EvalDataFlags(Command cmd)
    {
        foreach (var o in new Option[] { testFraction, labels, testLabels }) cmd.Options.Add(o);
    }

    /// <summary><paramref name="settings"/> with the flags' values.</summary>
    public EvalDataSettings Apply(EvalDataSettings settings, ParseResult r) => settings with
    {
        TestFraction = r.GetValue(testFraction),
        Labels = r.GetValue(labels),
        TestLabels = r.GetValue(testLabels),
    };
}
