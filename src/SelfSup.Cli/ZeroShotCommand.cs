using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Text;
using TorchSharp;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup eval zero-shot`: a CLIP checkpoint classifies the test split from prompts on the class names alone (no
/// probe), and, given held-out image–caption pairs, retrieves images from captions and captions from images.
/// </summary>
public static class ZeroShotCommand
{
    public static Command Create()
    {
        var cmd = new Command("zero-shot", "Zero-shot classification of the test split from class-name prompts, and image↔text recall@1/5/10 on held-out pairs (clip checkpoints)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file (runs/x/checkpoints/last.ckpt) or a run folder", Required = true };
        var data = new Option<string?>("--data") { Description = "labeled dataset whose test split is classified (default: the pretraining data)" };
        var testLimit = new Option<int?>("--test-limit") { Description = "use a seeded subset of this many test images" };
        var templates = new Option<string?>("--templates") { Description = "prompt templates: cifar10 (18 prompts) or single (default: the run's)" };
        var captions = new Option<string?>("--captions") { Description = "held-out image–caption pairs (CSV path,caption or JSONL) for retrieval recall@k" };
        var captionImages = new Option<string?>("--caption-images") { Description = "image folder the --captions paths are relative to (default: the captions file's folder)" };
        var output = new Option<string?>("--out") { Description = "folder for zero-shot.json (default: the checkpoint's run folder)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        foreach (var o in new Option[] { checkpoint, data, testLimit, templates, captions, captionImages, output, device }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            TorchRuntime.Initialize();
            var path = EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!);
            using var run = EvaluationData.Open(path, new EvalDataSettings { Data = r.GetValue(data), TestLimit = r.GetValue(testLimit), Log = DataLog.Options().Log });
            var clip = run.Trained.Method as Clip
                ?? throw new ArgumentException($"{path}: zero-shot evaluation needs a clip checkpoint, got method '{run.Config.Method}'");
            var dev = TorchRuntime.ParseDevice(r.GetValue(device)!);
            clip.to(dev);
            run.RequireLabels("zero-shot classification");
            var test = run.Test;
            clip.PrepareText(test.ClassNames);
            var templateSet = CaptionTemplates.Named(r.GetValue(templates) ?? clip.Options.Templates);
            var accuracy = ZeroShot.Classify(clip, test, run.Stats, dev, templateSet);
            Cli.Info($"zero-shot top-1 on {test.Count} test images, {test.ClassNames.Count} classes × {templateSet.Count} prompts: {accuracy:F2} %");
            var result = new JsonObject
            {
                ["method"] = run.Config.Method,
                ["encoder"] = run.Config.Encoder,
                ["dataset"] = run.DataName,
                ["checkpoint"] = run.CheckpointPath,
                ["test_images"] = test.Count,
                ["classes"] = test.ClassNames.Count,
                ["templates"] = templateSet.Count,
                ["zero_shot_top1"] = Math.Round(accuracy, 2),
                ["logit_scale"] = Math.Round(clip.Loss.Scale, 3),
            };
            if (r.GetValue(captions) is { } pairsFile)
            {
                var root = r.GetValue(captionImages) ?? Path.GetDirectoryName(Path.GetFullPath(pairsFile))!;
                using var pairs = ImageCaptions.Read(pairsFile, root, run.DataOptions);
                var recall = ZeroShot.Retrieve(clip, pairs, run.Stats, dev);
                Cli.Info($"retrieval on {pairs.Images.Count} held-out images: image→text R@1 {recall.ImageToText[1]:F2} %, text→image R@1 {recall.TextToImage[1]:F2} %");
                result["retrieval_images"] = pairs.Images.Count;
                result["retrieval"] = JsonSerializer.SerializeToNode(recall);
            }
            result["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            var dir = r.GetValue(output) ?? EvalCommand.RunFolderOf(path);
            Directory.CreateDirectory(dir);
            var file = Path.Combine(dir, "zero-shot.json");
            File.WriteAllText(file + ".tmp", result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(file + ".tmp", file, overwrite: true);
            Console.WriteLine($"wrote {file}");
            return 0;
        }));
        return cmd;
    }
}
