using System.CommandLine;
using SelfSup.Reporting.Plots;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>`selfsup attention`: a PNG of a ViT checkpoint's last-block CLS attention per head over a few test images.</summary>
public static class AttentionCommand
{
    public static Command Create()
    {
        var cmd = new Command("attention", "Draw a ViT checkpoint's last-block attention from the CLS token to every patch, one map per head, over test images (PNG)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file (runs/x/checkpoints/last.ckpt) or a run folder of a ViT run", Required = true };
        var data = new Option<string?>("--data") { Description = "dataset whose test images are drawn (default: the pretraining data)" };
        var output = new Option<string?>("--out") { Description = $"folder for {AttentionPicture.FileName} (default: the checkpoint's run folder)" };
        var count = new Option<int>("--count") { Description = "number of test images (rows)", DefaultValueFactory = _ => 6 };
        var cell = new Option<int>("--cell") { Description = "side of each drawn cell in pixels", DefaultValueFactory = _ => 64 };
        foreach (var o in new Option[] { checkpoint, data, output, count, cell }) cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            var settings = dataFlags.Apply(new EvalDataSettings { Data = r.GetValue(data), Log = DataLog.Options().Log }, r);
            var png = AttentionPicture.FromCheckpoint(path, r.GetValue(output) ?? EvalCommand.RunFolderOf(path), r.GetValue(count), settings, r.GetValue(cell));
            var folder = Path.GetDirectoryName(png)!;
            Console.WriteLine($"wrote {png}, {Path.Combine(folder, AttentionPicture.RandomInitFileName)} and {Path.Combine(folder, AttentionPicture.FocusFileName)}");
            return 0;
        }));
        return cmd;
    }
}
