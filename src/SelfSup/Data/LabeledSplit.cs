namespace SelfSup.Data;

/// <summary>
/// Splits a labelled dataset into a small labelled part and the unlabelled rest, for label-efficiency
/// experiments, or into train and held-out test rows. Every split is stratified by class and depends only on the
/// seed; rows keep their original order.
/// </summary>
public static class LabeledSplit
{
    /// <summary><paramref name="perClass"/> rows of every class labelled, the rest unlabelled.</summary>
    public static (ImageDataset Labeled, ImageDataset Unlabeled) PerClass(ImageDataset data, int perClass, int seed)
    {
        if (perClass <= 0) throw new ArgumentException($"perClass must be positive, got {perClass}");
        return Split(data, seed, (cls, count) => count >= perClass
            ? perClass
            : throw new ArgumentException($"dataset '{data.Name}': class {cls} has {count} images, fewer than the {perClass} per class requested"));
    }

    /// <summary>
    /// A <paramref name="fraction"/> of every class labelled (rounded, at least one image per class), the rest unlabelled.
    /// </summary>
    public static (ImageDataset Labeled, ImageDataset Unlabeled) Fraction(ImageDataset data, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"fraction must be in (0, 1], got {fraction}");
        return Split(data, seed, (_, count) => Math.Clamp((int)Math.Round(fraction * count, MidpointRounding.AwayFromZero), 1, count));
    }

    /// <summary>
    /// <paramref name="counts"/>[class] rows of every class labelled (a class not named: none), the rest unlabelled; with
    /// the same count for every class, the same rows as <see cref="PerClass"/> for the same seed.
    /// </summary>
    public static (ImageDataset Labeled, ImageDataset Unlabeled) ByClass(ImageDataset data, IReadOnlyDictionary<long, int> counts, int seed) =>
        Split(data, seed, (cls, count) => counts.GetValueOrDefault(cls) is var k && k <= count
            ? k
            : throw new ArgumentException($"dataset '{data.Name}': class {cls} has {count} images, fewer than the {k} requested"));

    /// <summary>The train rows and a held-out test split of <paramref name="holdOut"/>'s fraction of every class (<see cref="TestHoldOut.TestRowsOf"/>).</summary>
    public static (ImageDataset Train, ImageDataset Test) HoldOut(ImageDataset data, TestHoldOut holdOut)
    {
        var (test, train) = Split(data, holdOut.Seed, (_, count) => holdOut.TestRowsOf(count), "-test", "-train");
        return (train, test);
    }

    static (ImageDataset, ImageDataset) Split(ImageDataset data, int seed, Func<long, int, int> take, string chosenSuffix = "-labeled", string restSuffix = "-unlabeled")
    {
        var labels = data.Labels ?? throw new ArgumentException($"dataset '{data.Name}' has no labels to split by");
        var rng = new Random(seed);
        var chosen = new bool[labels.Length];
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var rows = group.ToArray();
            rng.Shuffle(rows);
            foreach (var r in rows.AsSpan(0, take(group.Key, rows.Length))) chosen[r] = true;
        }
        var labeled = Enumerable.Range(0, labels.Length).Where(i => chosen[i]).Select(i => (long)i).ToArray();
        var unlabeled = Enumerable.Range(0, labels.Length).Where(i => !chosen[i]).Select(i => (long)i).ToArray();
        return (data.Subset(labeled, data.Name + chosenSuffix), data.Subset(unlabeled, data.Name + restSuffix));
    }
}
