using System.Globalization;
using SelfSup.Data;

namespace SelfSup.Evaluation;

/// <summary>
/// One point of a label-efficiency curve: a number of labelled images per class ("10"), a percentage of the training
/// labels ("1%") or all of them ("all"). A percentage p of N training images draws n = round(p/100 · N) images
/// (half away from zero: 10 % of 4,708 is 471), at least one per class. They are <b>class-balanced</b> (n / K per class,
/// the first n mod K classes one more) when every class has that many images, else <b>stratified</b> (each class its
/// share of n by the largest-remainder rule, at least one image each), so "100%" is the whole split as "all" is.
/// </summary>
public readonly record struct LabelBudget
{
    LabelBudget(int? perClass, double? percent) => (PerClass, Percent) = (perClass, percent);

    /// <summary>Labelled images per class; null for a percentage or all.</summary>
    public int? PerClass { get; }

    /// <summary>Percentage of the training split's labels, in (0, 100]; null for a count or all.</summary>
    public double? Percent { get; }

    /// <summary>The whole training split.</summary>
    public bool IsAll => PerClass is null && Percent is null;

    public static LabelBudget All => default;

    public static LabelBudget Count(int perClass) => perClass > 0
        ? new(perClass, null)
        : throw new ArgumentException($"labels per class must be positive, got {perClass}");

    public static LabelBudget Percentage(double percent) => percent > 0 && percent <= 100
        ? new(null, percent)
        : throw new ArgumentException($"label percentage must be in (0, 100], got {percent.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A count per class; null stands for all (so <c>[1, 10, null]</c> reads as before percentages existed).</summary>
    public static implicit operator LabelBudget(int? perClass) => perClass is { } k ? Count(k) : All;

    /// <summary>How results and plots name the point: "10", "1%", "all".</summary>
    public string Label => PerClass is { } k ? k.ToString(CultureInfo.InvariantCulture)
        : Percent is { } p ? p.ToString("0.###", CultureInfo.InvariantCulture) + "%"
        : "all";

    public override string ToString() => Label;

    /// <summary>
    /// Parses "5,10,1%,12.5%,all" for <paramref name="flag"/>: positive integers, percentages in (0, 100] and 'all';
    /// an error names the flag and the bad token. Repeated values are kept once, in order.
    /// </summary>
    public static IReadOnlyList<LabelBudget> ParseList(string text, string flag = "--labels-per-class")
    {
        var values = new List<LabelBudget>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Equals("all", StringComparison.OrdinalIgnoreCase)) values.Add(All);
            else if (raw.EndsWith('%') && double.TryParse(raw[..^1].TrimEnd(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) && p > 0 && p <= 100)
                values.Add(Percentage(p));
            else if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) values.Add(Count(n));
            else throw new ArgumentException($"{flag}: expected positive integers, percentages in (0, 100] such as 10% or 'all', separated by commas; got '{raw}' in '{text}'");
        }
        if (values.Count == 0) throw new ArgumentException($"{flag}: no values in '{text}'");
        return values.Distinct().ToArray();
    }

    /// <summary>
    /// Labelled images drawn from each class (indexed as <paramref name="classSizes"/>, the training images of every
    /// class present) under this budget. Errors name the budget and the class sizes.
    /// </summary>
    public int[] Allocate(IReadOnlyList<int> classSizes)
    {
        var sizes = classSizes.ToArray();
        var total = sizes.Sum();
        string Sizes() => string.Join(", ", sizes.Select((s, c) => $"{c}={s}"));
        if (IsAll) return sizes;
        if (PerClass is { } k)
        {
            for (var c = 0; c < sizes.Length; c++)
                if (sizes[c] < k) throw new ArgumentException($"--labels-per-class {k}: class {c} has only {sizes[c]} training images (class sizes: {Sizes()})");
            return sizes.Select(_ => k).ToArray();
        }
        var n = (int)Math.Round(Percent!.Value / 100 * total, MidpointRounding.AwayFromZero);
        if (n < sizes.Length)
            throw new ArgumentException($"--labels-per-class {Label}: {Label} of {total} training images is {n}, fewer than one per class ({sizes.Length} classes)");
        var balanced = Enumerable.Range(0, sizes.Length).Select(c => n / sizes.Length + (c < n % sizes.Length ? 1 : 0)).ToArray();
        return balanced.Zip(sizes).All(t => t.First <= t.Second) ? balanced : Stratified(sizes, n);
    }

    /// <summary>Each class's share of <paramref name="n"/> by largest remainders (ties: the lower class), at least one each.</summary>
    static int[] Stratified(int[] sizes, int n)
    {
        var total = (double)sizes.Sum();
        var quotas = sizes.Select(s => n * s / total).ToArray();
        var take = quotas.Select(q => (int)Math.Floor(q)).ToArray();
        foreach (var c in Enumerable.Range(0, sizes.Length).OrderByDescending(c => quotas[c] - take[c]).ThenBy(c => c).Take(n - take.Sum()))
            take[c]++;
        for (var c = 0; c < sizes.Length; c++)
        {
            if (take[c] > 0) continue;
            take[c] = 1; // every class keeps one image; the largest share gives it up
            take[Enumerable.Range(0, sizes.Length).MaxBy(i => take[i])]--;
        }
        return take;
    }

    /// <summary>
    /// The labelled subset of <paramref name="train"/> for this budget and <paramref name="seed"/>: a copy of everything
    /// for all, else <see cref="Allocate"/>'s count of every class drawn by <see cref="LabeledSplit.ByClass"/> (for a count
    /// per class the same rows as <see cref="LabeledSplit.PerClass"/>).
    /// </summary>
    public ImageDataset Draw(ImageDataset train, int seed)
    {
        if (IsAll) return train.Subset(Enumerable.Range(0, train.Count).Select(i => (long)i).ToArray(), train.Name);
        var labels = train.Labels ?? throw new ArgumentException($"label efficiency: dataset '{train.Name}' has no labels");
        var classes = labels.Distinct().Order().ToArray();
        var take = Allocate(classes.Select(c => labels.Count(l => l == c)).ToArray());
        var (labeled, unlabeled) = LabeledSplit.ByClass(train, classes.Zip(take).ToDictionary(t => t.First, t => t.Second), seed);
        unlabeled.Dispose();
        return labeled;
    }
}
