using System.Globalization;

namespace SelfSup.Data;

/// <summary>
/// How a test split is made for a labelled dataset that has none (a folder of class folders without train/ and test/,
/// a single IDX file, a single CIFAR-10 batch): a seeded, stratified <see cref="Fraction"/> of every class is held out
/// as the test split and the rest is the train split, so evaluation never scores the rows it trained on.
/// </summary>
public sealed record TestHoldOut
{
    public TestHoldOut(double fraction = 0.2, int seed = 0)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentException($"test fraction must be in (0, 1), got {fraction}");
        Fraction = fraction;
        Seed = seed;
    }

    /// <summary>Share of every class held out as the test split, in (0, 1).</summary>
    public double Fraction { get; }

    /// <summary>Seeds which rows of each class are held out.</summary>
    public int Seed { get; }

    /// <summary>The fraction in percent as written in keys and messages: 20, 12.5.</summary>
    public string Percent => (Fraction * 100).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>How results files name this split: <c>held_out_20pct_seed_0</c>.</summary>
    public string Key => $"held_out_{Percent}pct_seed_{Seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Test rows taken from a class of <paramref name="count"/> rows: rounded, keeping at least one row on each side when the class has two or more.</summary>
    public int TestRowsOf(int count) =>
        count < 2 ? 0 : Math.Clamp((int)Math.Round(Fraction * count, MidpointRounding.AwayFromZero), 1, count - 1);
}
