using System.Globalization;

namespace SelfSup.Data;

/// <summary>
/// A fixed intensity window for 16-bit images, in the file's 16-bit units (0…65535): a sample v becomes the 8-bit
/// v' = clamp(round(255 · (v − Low) / (High − Low)), 0, 255), halves rounded up, so the same tissue has the same gray
/// level in every image (12-bit X-ray exports: <c>0:4095</c>). Without a window each 16-bit image is scaled by its own
/// range instead.
/// </summary>
public sealed record IntensityWindow
{
    const string Form = "LOW:HIGH, whole numbers with 0 ≤ LOW < HIGH ≤ 65535 in the file's 16-bit units, e.g. 0:4095";

    public IntensityWindow(int low, int high)
    {
        if (low is < 0 or > ushort.MaxValue || high is < 0 or > ushort.MaxValue || low >= high)
            throw new ArgumentException($"window: expected {Form}, got {low}:{high}");
        Low = low;
        High = high;
    }

    /// <summary>The sample value that becomes 0.</summary>
    public int Low { get; }

    /// <summary>The sample value that becomes 255.</summary>
    public int High { get; }

    /// <summary>The 8-bit value of a 16-bit sample, computed exactly in integers.</summary>
    public byte Apply(int sample)
    {
        if (sample <= Low) return 0;
        if (sample >= High) return 255;
        long range = High - Low;
        return (byte)((2L * 255 * (sample - Low) + range) / (2 * range)); // round(255·(v − low)/range), halves up
    }

    /// <summary>As written on the command line and in run files: <c>low:high</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Low}:{High}");

    /// <summary>
    /// <c>LOW:HIGH</c> (e.g. <c>0:4095</c>); null or blank gives null (no window). Anything else — not two whole numbers,
    /// outside 0…65535, LOW ≥ HIGH — is an error naming <paramref name="flag"/> and the expected form.
    /// </summary>
    public static IntensityWindow? Parse(string? text, string flag)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var low)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var high)
            && low <= ushort.MaxValue && high <= ushort.MaxValue && low < high)
            return new IntensityWindow(low, high);
        throw new ArgumentException($"{flag}: expected {Form}, got '{text}'");
    }
}
