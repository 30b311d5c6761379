using System.CommandLine;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Runs;

namespace SelfSup.Cli;

/// <summary>
/// `selfsup eval supervised`: the MedMNIST v2 supervised baseline, an encoder + linear head trained from scratch on
/// every training label (Adam, rate × 0.1 at half and three quarters of the epochs), the epoch with the best
/// validation AUC scored on the test split (ACC, AUC). No checkpoint: it is the bar a pretrained encoder is held to.
/// </summary>
public static class SupervisedCommand
{
    public static Command Create()
    {
        var cmd = new Command("supervised", "Supervised baseline under the MedMNIST v2 protocol: train from scratch on all labels, keep the best validation-AUC epoch, report test ACC and AUC");
        var data = new Option<string>("--data") { Description = "labelled dataset (built-in name or path)", DefaultValueFactory = _ => "pneumoniamnist" };
        var encoder = new Option<string>("--encoder") { Description = "encoder (MedMNIST v2: resnet18 or resnet50)", DefaultValueFactory = _ => "resnet18" };
        var width = new Option<int>("--width") { Description = "encoder base width (MedMNIST v2's ResNets: 64)", DefaultValueFactory = _ => 64 };
        var stem = new Option<string?>("--stem") { Description = "cifar or imagenet (default: cifar for images ≤ 64 px: 3×3 conv, stride 1, no max-pool, as MedMNIST's 28 px ResNets)" };
        var epochs = new Option<int>("--epochs") { Description = "epochs (MedMNIST v2: 100); the rate decays at half and three quarters of them", DefaultValueFactory = _ => 100 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate before the decays", DefaultValueFactory = _ => 1e-3 };
        var maxMinutes = new Option<double?>("--max-minutes") { Description = "stop after the epoch that ends past this many minutes (the schedule still spans --epochs)" };
        var valFraction = new Option<double>("--val-fraction") { Description = "share of every class of the training split held out for validation when the dataset has no validation split", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: core count)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var output = new Option<string?>("--out") { Description = "folder for supervised.json (default: runs/supervised-<data>)" };
        foreach (var o in new Option[] { data, encoder, width, stem, epochs, batchSize, lr, maxMinutes, valFraction, seed, threads, device, output })
            cmd.Options.Add(o);
        var dataFlags = new EvalDataFlags(cmd);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var dataName = r.GetValue(data)!;
            var encoderName = r.GetValue(encoder)!;
            if (!EncoderRegistry.IsKnown(encoderName))
                throw new ArgumentException($"--encoder: unknown encoder '{encoderName}'; expected one of: {string.Join(", ", EncoderRegistry.Names)}");
            var fraction = r.GetValue(valFraction);
            if (!(fraction > 0 && fraction < 1)) throw new ArgumentException($"--val-fraction: expected a number in (0, 1), got {fraction}");
            var seedValue = r.GetValue(seed);
            TorchRuntime.Initialize(r.GetValue(threads) is > 0 and var t ? t : null);
            var flags = dataFlags.Apply(new EvalDataSettings(), r);
            var options = new DatasetOptions
            {
                Labels = flags.Labels,
                TestLabels = flags.TestLabels,
                TestData = flags.TestData,
                HoldOut = new TestHoldOut(flags.TestFraction),
                Resize = flags.Resize ?? ResizeMode.Crop,
                Window = flags.Window,
                Log = DataLog.Options().Log,
            };
            using var splits = SupervisedData.Open(dataName, options, new TestHoldOut(fraction, seedValue));
            if (splits.TestSplit.Describe() is { } line) Cli.Info(line);
            var train = splits.Train;
            var encoderOptions = new EncoderOptions(train.Channels, train.Height, r.GetValue(width), r.GetValue(stem));
            Cli.Info($"{encoderName} (width {encoderOptions.Width}) from scratch on {train.Count} {dataName} training images, validation {splits.Val.Count} ({splits.ValSplit}), test {splits.Test.Count}");
            var results = SupervisedBaseline.Run(() => EncoderRegistry.Create(encoderName, encoderOptions), train, splits.Val, splits.Test, new SupervisedOptions
            {
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batchSize),
                LearningRate = r.GetValue(lr),
                MaxMinutes = r.GetValue(maxMinutes),
                Seed = seedValue,
                Device = TorchRuntime.ParseDevice(r.GetValue(device)!),
                Log = new LabelEfficiencyCommand.Progress(Cli.Info),
            }) with
            {
                Dataset = dataName,
                Encoder = $"{encoderName} w{encoderOptions.Width}",
                ValSplit = splits.ValSplit,
                TestSplit = splits.TestSplit.Key,
            };
            var outDir = r.GetValue(output) ?? Path.Combine("runs", $"supervised-{Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(dataName))}");
            var file = Path.Combine(outDir, "supervised.json");
            LabelEfficiencyResults.WriteAtomically(file, results.ToJson());
            Console.WriteLine(results.Describe());
            Console.WriteLine($"wrote {file}");
            return 0;
        }));
        return cmd;
    }
}
