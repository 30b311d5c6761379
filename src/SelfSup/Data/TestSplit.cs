using System.Globalization;

namespace SelfSup.Data;

/// <summary>Where a dataset's test split comes from.</summary>
public enum TestSplitKind
{
    /// <summary>
    /// The test split is given: the dataset's own (train/ and test/ folders, IDX train and t10k files, CIFAR test batch,
    /// NPZ keys, built-ins, a test label file) or a separate folder (<see cref="TestSplit.TestSource"/>).
    /// </summary>
    Given,
    /// <summary>The dataset has none: a seeded, stratified share of its labelled rows is held out (<see cref="TestHoldOut"/>).</summary>
    HeldOut,
    /// <summary>The dataset has none and no labels to hold one out by: all its rows are the train split.</summary>
    None,
}

/// <summary>How the train/test split of a loaded dataset came about, for messages and results files.</summary>
public sealed record TestSplit
{
    /// <summary>File or folder name of the dataset, as messages show it.</summary>
    public required string Source { get; init; }
    public required TestSplitKind Kind { get; init; }
    /// <summary>
    /// Where a given test split comes from when it is not the dataset's own (<see cref="DatasetOptions.TestData"/>): the
    /// folder's full path, and the label file's when one labels it; null otherwise.
    /// </summary>
    public string? TestSource { get; init; }
    /// <summary>The hold-out that made the test split (<see cref="TestSplitKind.HeldOut"/> only).</summary>
    public TestHoldOut? HoldOut { get; init; }
    /// <summary>Rows in the train and test splits (<see cref="TestSplitKind.HeldOut"/> only; 0 otherwise).</summary>
    public int TrainImages { get; init; }
    public int TestImages { get; init; }

    /// <summary>How results files name the split: <c>given</c>, <c>held_out_20pct_seed_0</c> or <c>none</c>.</summary>
    public string Key => Kind switch
    {
        TestSplitKind.Given => "given",
        TestSplitKind.HeldOut => HoldOut!.Key,
        _ => "none",
    };

    /// <summary>One line for the console when the split was not the dataset's own; null when it was.</summary>
    public string? Describe() => Kind switch
    {
        TestSplitKind.Given when TestSource is not null =>
            $"{Source}: test split given by {TestSource}; nothing is held out, the train split is all of {Source}'s training images",
        TestSplitKind.HeldOut => string.Create(CultureInfo.InvariantCulture,
            $"{Source} has no test split: holding out a seeded, stratified {HoldOut!.Percent} % ({TestImages:N0} images) as the test split; the train split is the other {TrainImages:N0}"),
        TestSplitKind.None => $"{Source} has no test split and no labels to hold one out by: all its images are the train split",
        _ => null,
    };
}

/// <summary>One loaded split and how the dataset's test split came about.</summary>
public sealed record SplitData(ImageDataset Data, TestSplit TestSplit);
