using System.CommandLine;
using SelfSup.Interop;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup export`: a checkpoint's representation as a PyTorch state dict (safetensors or torch.save), in
/// torchvision's names for ResNets and timm's for ViTs, so <c>load_state_dict(strict=True)</c> takes it there.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var cmd = new Command("export", "Write a checkpoint's encoder as a PyTorch state dict (torchvision names for ResNets, timm names for ViTs)");
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint file or a run folder", Required = true };
        var format = new Option<string?>("--format") { Description = "safetensors or pt (default: from the --out file's extension)" };
        var output = new Option<string>("--out") { Description = "weights file (.safetensors, .pt or .pth)", Required = true };
        foreach (var o in new Option[] { checkpoint, format, output }) cmd.Options.Add(o);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var file = r.GetValue(output)!;
            var kind = r.GetValue(format) is { } f ? WeightFormats.Parse(f, "--format") : WeightFormats.OfPath(file);
            TorchRuntime.Initialize();
            using var trained = TrainedEncoder.Load(EvalCommand.ResolveCheckpoint(r.GetValue(checkpoint)!));
            var encoder = trained.Encoder;
            var names = ReferenceNames.For(encoder);
            EncoderWeights.Export(encoder, file, kind);
            Console.WriteLine($"wrote {file}: {encoder.state_dict().Count} tensors of {trained.Config.Encoder} ({encoder.EmbeddingDim}-d) in {names.Library} names, {kind}");
            return 0;
        }));
        return cmd;
    }
}
