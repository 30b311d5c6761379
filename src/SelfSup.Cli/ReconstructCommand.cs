using System.CommandLine;
using SelfSup.Reporting;

namespace SelfSup.Cli;

/// <summary>`selfsup reconstruct`: a PNG of an MAE checkpoint's reconstructions of test images (original | masked | reconstruction).</summary>
public static class ReconstructCommand
{
    public static Command Create()
    {
        var cmd = new Command("reconstruct", "Save an MAE checkpoint's reconstructions of test images as a PNG");
        var checkpoint = new Option<string>("--checkpoint") { Description = "run folder or .ckpt file of an MAE run", Required = true };
        var output = new Option<string?>("--out") { Description = "PNG path (default: <run>/reconstructions.png)" };
        var count = new Option<int>("--count") { Description = "number of test images (rows)", DefaultValueFactory = _ => 8 };
        var split = new Option<string>("--split") { Description = "dataset split to draw images from", DefaultValueFactory = _ => "test" };
        var seed = new Option<long>("--seed") { Description = "seed of the random masks", DefaultValueFactory = _ => 0 };
        foreach (var o in new Option[] { checkpoint, output, count, split, seed }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var ckpt = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            if (!File.Exists(ckpt)) throw new FileNotFoundException($"--checkpoint: {ckpt} does not exist");
            var runDir = EvalCommand.RunFolderOf(ckpt);
            var png = r.GetValue(output) ?? Path.Combine(runDir, "reconstructions.png");
            MaeReconstructionPicture.FromCheckpoint(ckpt, png, r.GetValue(count), r.GetValue(split)!, r.GetValue(seed), DataLog.Options());
            Console.WriteLine($"wrote {png}");
            return 0;
        }));
        return cmd;
    }
}
