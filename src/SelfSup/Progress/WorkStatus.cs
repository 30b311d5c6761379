using System.Globalization;

namespace SelfSup.Progress;

/// <summary>
/// Where one long piece of work stands: <see cref="Done"/> of <see cref="Total"/> <see cref="Unit"/> after
/// <see cref="Elapsed"/>. <see cref="Finished"/> marks the last report of a piece of work (also when it failed).
/// </summary>
public sealed record WorkStatus(long Id, string Name, long Done, long Total, string Unit, TimeSpan Elapsed, bool Finished)
{
    /// <summary>Fraction done in [0, 1] (1 when the total is zero).</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Done / Total, 0, 1);

    /// <summary>Units per second so far.</summary>
    public double Rate => Done / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Time left at the rate so far; null before anything is done.</summary>
    public TimeSpan? Eta => Done <= 0 ? null : TimeSpan.FromSeconds(Math.Max(0, Total - Done) / Rate);

    /// <summary>
    /// One plain line for logs: <c>features [#########-----------] 45% 4,500/10,000 images, 812 images/s, ETA 7 s</c>.
    /// </summary>
    public string Line(int width = 20)
    {
        var filled = (int)Math.Round(Fraction * width);
        var eta = Finished ? $"done in {Seconds(Elapsed)}" : Eta is { } left ? $"ETA {Seconds(left)}" : "ETA ?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Name} [{new string('#', filled)}{new string('-', width - filled)}] {Fraction * 100:F0}% {Done:N0}/{Total:N0} {Unit}, {Rate:N1} {Unit}/s, {eta}");
    }

    /// <summary>"42 s", "3 min 20 s", "1 h 05 min": short enough for a progress line.</summary>
    public static string Seconds(TimeSpan t) =>
        t.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F0} s")
        : t.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes} min {t.Seconds:D2} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours} h {t.Minutes:D2} min");
}
