using System.Diagnostics;
using System.Globalization;

namespace SelfSup.Data;

/// <summary>
/// A progress bar for a long decode, one log line every few seconds:
/// <c>[#########-----------] 45% 12,345/27,000 images, 1,234 img/s, ETA 12 s</c>.
/// </summary>
internal sealed class DecodeProgress(int total, IProgress<string>? log, double everySeconds = 5)
{
    const int Width = 20;
    readonly Stopwatch watch = Stopwatch.StartNew();
    double lastReport;
    int done;

    /// <summary>Reports <paramref name="count"/> images of the total done when enough time has passed (a count going back is a restarted pass, timed from zero).</summary>
    public void Done(int count)
    {
        if (count < done) watch.Restart();
        done = count;
        var now = watch.Elapsed.TotalSeconds;
        if (log is null || now - lastReport < everySeconds || count >= total) return;
        lastReport = now;
        log.Report(Line(count, now));
    }

    /// <summary>The closing line: how many images in how long.</summary>
    public void End() =>
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"decoded {done:N0} images in {watch.Elapsed.TotalSeconds:F1} s ({done / Math.Max(watch.Elapsed.TotalSeconds, 1e-9):N0} img/s)"));

    internal string Line(int count, double seconds)
    {
        var fraction = total == 0 ? 1 : (double)count / total;
        var filled = (int)Math.Round(fraction * Width);
        var rate = count / Math.Max(seconds, 1e-9);
        var eta = rate > 0 ? (total - count) / rate : double.PositiveInfinity;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', Width - filled)}] {fraction * 100:F0}% {count:N0}/{total:N0} images, {rate:N0} img/s, ETA {eta:F0} s");
    }
}
