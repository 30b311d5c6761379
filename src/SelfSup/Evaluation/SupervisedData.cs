using SelfSup.Data;

namespace SelfSup.Evaluation;

/// <summary>
/// The three splits of the supervised baseline: the dataset's own validation split when it has one (PneumoniaMNIST and
/// every MedMNIST .npz with <c>val_images</c>), else a seeded, stratified share of the training split; the test split as
/// <see cref="Datasets.LoadSplit"/> gives it (the dataset's own, a separate folder or a hold-out), never training rows.
/// </summary>
public sealed class SupervisedData : IDisposable
{
    SupervisedData(ImageDataset train, ImageDataset val, ImageDataset test, string valSplit, TestSplit testSplit) =>
        (Train, Val, Test, ValSplit, TestSplit) = (train, val, test, valSplit, testSplit);

    public ImageDataset Train { get; }
    public ImageDataset Val { get; }
    public ImageDataset Test { get; }
    /// <summary>"given", or the hold-out key (<c>held_out_10pct_seed_0</c>) of the share of the training split that is the validation split.</summary>
    public string ValSplit { get; }
    public TestSplit TestSplit { get; }

    /// <summary>Whether <paramref name="nameOrPath"/> has a validation split of its own (a built-in with "val", an .npz with <c>val_images</c>).</summary>
    public static bool HasValidationSplit(string nameOrPath) =>
        File.Exists(nameOrPath)
            ? nameOrPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && NpzReader.Keys(nameOrPath).Contains("val_images")
            : !Directory.Exists(nameOrPath) && BuiltinDatasets.Canonical(nameOrPath) is { } b && BuiltinDatasets.Splits(b).Contains("val");

    /// <summary>Loads train, validation and test; <paramref name="valHoldOut"/> makes the validation split when the dataset has none.</summary>
    public static SupervisedData Open(string nameOrPath, DatasetOptions options, TestHoldOut valHoldOut)
    {
        var (train, testSplit) = Datasets.LoadSplit(nameOrPath, "train", options);
        ImageDataset? val = null, test = null;
        try
        {
            var valKey = "given";
            if (HasValidationSplit(nameOrPath)) val = Datasets.Load(nameOrPath, "val", options);
            else
            {
                var (rest, held) = LabeledSplit.HoldOut(train, valHoldOut);
                train.Dispose();
                (train, val, valKey) = (rest, held, valHoldOut.Key);
            }
            test = Datasets.Load(nameOrPath, "test", options);
            return new SupervisedData(train, val, test, valKey, testSplit);
        }
        catch
        {
            train.Dispose();
            val?.Dispose();
            test?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
        Test.Dispose();
    }
}
