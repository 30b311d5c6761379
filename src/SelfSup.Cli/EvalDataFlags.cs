using System.CommandLine;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>
/// The flags every command that evaluates on labelled data shares: how the test split is made (`--test-fraction`, or a
/// separate folder with `--test-data`), label files for an image folder (`--labels`, `--test-labels`) and how images are
/// decoded (`--resize`, `--window`; default: as the checkpoint was pretrained). One place adds them and applies them.
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
        Description = "label file of the test split (same format and folder as --labels, no path in both; with --test-data, paths relative to that folder); default: a held-out share of --labels",
    };
    readonly Option<string?> testData = new("--test-data")
    {
        Description = "image folder that is the test split (class folders, or the images --test-labels names) instead of a held-out share; default: the checkpoint's own",
    };
    readonly Option<string?> resize = new("--resize")
    {
        Description = "crop (shorter side to the size, centre crop) or fit (longer side to the size, padded with black); default: as pretrained",
    };
    readonly Option<string?> window = new("--window")
    {
        Description = "fixed intensity window LOW:HIGH for 16-bit PNGs in the file's units, e.g. 0:4095; default: as pretrained (else each image's own range)",
    };

    readonly Option<string?> pool = new("--pool")
    {
        Description = "a ViT's representation: cls (its CLS token) or mean (the mean of its patch tokens, as BEiT's linear probe); the random-init twin pools the same; default: as pretrained",
    };

    /// <summary>Adds the flags to <paramref name="cmd"/>.</summary>
    public EvalDataFlags(Command cmd)
    {
        foreach (var o in new Option[] { testFraction, labels, testLabels, testData, resize, window, pool }) cmd.Options.Add(o);
    }

    /// <summary><paramref name="settings"/> with the flags' values.</summary>
    public EvalDataSettings Apply(EvalDataSettings settings, ParseResult r) => settings with
    {
        TestFraction = r.GetValue(testFraction),
        Labels = r.GetValue(labels),
        TestLabels = r.GetValue(testLabels),
        TestData = r.GetValue(testData),
        Resize = r.GetValue(resize) is { } mode ? ResizeModes.Parse(mode, "--resize") : null,
        Window = IntensityWindow.Parse(r.GetValue(window), "--window"),
        Pool = r.GetValue(pool)?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "cls" => VitPool.Cls,
            "mean" => VitPool.Mean,
            var other => throw new ArgumentException($"--pool: expected cls or mean, got '{other}'"),
        },
    };
}
