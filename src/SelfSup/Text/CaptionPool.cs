namespace SelfSup.Text;

/// <summary>
/// The captions each training row may be shown with: templated from its class (every template applied to the class
/// name) or read from a captions file (every caption of the image). A step draws one caption per row from a hash of
/// (seed, step, row), so a resumed run draws exactly what the uninterrupted run did, without a generator to save.
/// </summary>
public sealed class CaptionPool
{
    readonly IReadOnlyList<IReadOnlyList<string>> rows;

    public CaptionPool(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        for (int i = 0; i < rows.Count; i++)
            if (rows[i] is null || rows[i].Count == 0) throw new ArgumentException($"caption pool: row {i} has no caption");
        this.rows = rows;
    }

    /// <summary>A pool whose rows are shared by the rows of a class: every template applied to the row's class name.</summary>
    public static CaptionPool FromLabels(IReadOnlyList<long> labels, IReadOnlyList<string> classNames, IReadOnlyList<string> templates)
    {
        if (templates.Count == 0) throw new ArgumentException("caption pool: no templates");
        var perClass = classNames.Select(c => CaptionTemplates.For(c, templates)).ToArray();
        return new CaptionPool(labels.Select((l, i) => l >= 0 && l < perClass.Length
            ? perClass[l]
            : throw new ArgumentException($"caption pool: row {i} has label {l}, outside the {perClass.Length} class names")).ToArray());
    }

    public int Count => rows.Count;

    /// <summary>The captions of <paramref name="row"/>.</summary>
    public IReadOnlyList<string> this[long row] => rows[checked((int)row)];

    /// <summary>Every caption once, in row then caption order, without repeats: the text a tokenizer is trained on.</summary>
    public IReadOnlyList<string> Distinct() => rows.SelectMany(r => r).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The caption <paramref name="row"/> is shown with at <paramref name="step"/> (one of its captions, uniformly).</summary>
    public string Draw(long row, long step, long seed)
    {
        var captions = this[row];
        if (captions.Count == 1) return captions[0];
        return captions[(int)(Mix(seed, step, row) % (ulong)captions.Count)];
    }

    /// <summary>SplitMix64 over the three numbers: a well-spread hash, the same on every platform.</summary>
    static ulong Mix(long seed, long step, long row)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)row * 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
