using System.CommandLine;
using SelfSup.Reporting;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup reconstruct`: PNGs of a checkpoint's reconstructions of test images (MAE: original | masked |
/// reconstruction; ae, vae: original | reconstruction; dae: original | corrupted | reconstruction) and, for a VAE,
/// samples from the prior (<c>--samples</c>) and interpolations between test images (<c>--interpolate</c>).
/// </summary>
public static class ReconstructCommand
{
    public static Command Create()
    {
        var cmd = new Command("reconstruct", "Save a checkpoint's reconstructions of test images as a PNG (mae, ae, dae, vae); for a vae also prior samples and interpolations");
        var checkpoint = new Option<string>("--checkpoint") { Description = "run folder or .ckpt file of an mae, ae, dae or vae run", Required = true };
        var output = new Option<string?>("--out") { Description = "PNG path of the reconstructions (default: <run>/reconstructions.png); samples.png and interpolations.png go beside it" };
        var count = new Option<int>("--count") { Description = "number of test images (rows; pairs of images for --interpolate)", DefaultValueFactory = _ => 8 };
        var split = new Option<string>("--split") { Description = "dataset split to draw images from", DefaultValueFactory = _ => "test" };
        var seed = new Option<long>("--seed") { Description = "seed of the random masks, corruptions and prior samples", DefaultValueFactory = _ => 0 };
        var samples = new Option<bool>("--samples") { Description = "vae: also write samples.png, count × 8 images decoded from prior samples" };
        var interpolate = new Option<bool>("--interpolate") { Description = "vae: also write interpolations.png, one row per pair of test images, 8 steps between their latent means" };
        foreach (var o in new Option[] { checkpoint, output, count, split, seed, samples, interpolate }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var ckpt = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            if (!File.Exists(ckpt)) throw new FileNotFoundException($"--checkpoint: {ckpt} does not exist");
            var runDir = EvalCommand.RunFolderOf(ckpt);
            var png = r.GetValue(output) ?? Path.Combine(runDir, "reconstructions.png");
            var folder = Path.GetDirectoryName(Path.GetFullPath(png))!;
            using var pictures = CheckpointPictures.Open(ckpt, r.GetValue(split)!, DataLog.Options());
            if ((r.GetValue(samples) || r.GetValue(interpolate)) && !pictures.IsGenerative)
                throw new ArgumentException($"--samples, --interpolate: method '{pictures.MethodName}' is not generative; they need a vae checkpoint");
            pictures.Reconstructions(png, r.GetValue(count), r.GetValue(seed));
            Console.WriteLine($"wrote {png}");
            if (r.GetValue(samples))
            {
                var path = Path.Combine(folder, "samples.png");
                pictures.Samples(path, r.GetValue(count), seed: r.GetValue(seed));
                Console.WriteLine($"wrote {path}");
            }
            if (r.GetValue(interpolate))
            {
                var path = Path.Combine(folder, "interpolations.png");
                pictures.Interpolations(path, r.GetValue(count));
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        }));
        return cmd;
    }
}
