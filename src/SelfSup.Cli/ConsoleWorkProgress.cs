using System.Globalization;
using SelfSup.Progress;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>
/// Shows the library's long steps (<see cref="WorkProgress"/>) on stderr, so stdout stays clean for --json and pipes.
/// On a terminal: one bar line redrawn in place, with ETA, for work that runs longer than a second; during training,
/// extra rows in the training display. Otherwise (logs, CI): one plain line every
/// <c>SELFSUP_PROGRESS_SECONDS</c> seconds (default 10), and a closing line for work that printed any.
/// </summary>
public sealed class ConsoleWorkProgress : IProgress<WorkStatus>
{
    /// <summary>Environment variable holding the seconds between plain progress lines.</summary>
    public const string IntervalVariable = "SELFSUP_PROGRESS_SECONDS";

    static readonly Lock Gate = new();
    static ConsoleWorkProgress? current;

    readonly bool terminal;
    readonly TimeSpan every;
    readonly List<WorkStatus> open = [];
    readonly HashSet<long> printed = [];
    DateTime lastLine = DateTime.UtcNow;
    DateTime lastDraw = DateTime.MinValue;
    int barWidth;
    ProgressContext? live;
    readonly Dictionary<long, ProgressTask> liveTasks = [];

    ConsoleWorkProgress(bool terminal, TimeSpan every) => (this.terminal, this.every) = (terminal, every);

    /// <summary>Listens to the work started from this context until disposed.</summary>
    public static IDisposable Install()
    {
        var terminal = !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        var display = new ConsoleWorkProgress(terminal, TimeSpan.FromSeconds(IntervalSeconds()));
        var listening = WorkProgress.Listen(display);
        lock (Gate) current = display;
        return new Uninstall(listening, display);
    }

    /// <summary>The seconds between plain lines: <see cref="IntervalVariable"/> when set to a number ≥ 0, else 10.</summary>
    public static double IntervalSeconds() =>
        double.TryParse(Environment.GetEnvironmentVariable(IntervalVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? s : 10;

    /// <summary>While disposed-not, shows work as rows of a running Spectre progress display instead of the bar line.</summary>
    public static IDisposable RouteTo(ProgressContext context)
    {
        lock (Gate)
        {
            if (current is { } c) c.live = context;
            return new Unroute(current);
        }
    }

    /// <summary>Erases the bar line, so a log line written next starts on a clean line (the bar comes back on the next report).</summary>
    public static void ClearBar()
    {
        lock (Gate) current?.Erase();
    }

    public void Report(WorkStatus status)
    {
        lock (Gate)
        {
            var index = open.FindIndex(s => s.Id == status.Id);
            if (status.Finished) { if (index >= 0) open.RemoveAt(index); }
            else if (index >= 0) open[index] = status;
            else open.Add(status);
            if (live is not null) ShowLive(status);
            else if (terminal) Draw(status.Finished);
            else WriteLine(status);
        }
    }

    void ShowLive(WorkStatus status)
    {
        if (!liveTasks.TryGetValue(status.Id, out var task))
        {
            if (status.Finished || status.Elapsed < TimeSpan.FromSeconds(1)) return;
            task = live!.AddTask(Markup.Escape(status.Name), maxValue: Math.Max(1, status.Total));
            liveTasks[status.Id] = task;
        }
        task.Value = status.Done;
        if (!status.Finished) return;
        task.Value = task.MaxValue;
        task.StopTask();
        liveTasks.Remove(status.Id);
    }

    void Draw(bool force)
    {
        var now = DateTime.UtcNow;
        if (!force && (now - lastDraw).TotalSeconds < 0.2) return;
        lastDraw = now;
        var shown = open.Where(s => s.Elapsed >= TimeSpan.FromSeconds(1)).ToList();
        if (shown.Count == 0)
        {
            Erase();
            return;
        }
        var width = Math.Max(20, (Console.IsErrorRedirected ? 120 : SafeWidth()) - 1);
        var text = Compose(shown);
        if (text.Length > width) text = text[..width];
        Console.Error.Write("\r" + text.PadRight(Math.Max(barWidth, text.Length)));
        barWidth = text.Length;
    }

    void Erase()
    {
        if (barWidth == 0) return;
        Console.Error.Write("\r" + new string(' ', barWidth) + "\r");
        barWidth = 0;
    }

    void WriteLine(WorkStatus status)
    {
        var now = DateTime.UtcNow;
        if (status.Finished)
        {
            if (printed.Remove(status.Id)) Console.Error.WriteLine(status.Line());
            return;
        }
        if (status.Done == 0 || (now - lastLine) < every) return; // a line at 0 % says nothing yet
        lastLine = now;
        foreach (var s in open) printed.Add(s.Id);
        Console.Error.WriteLine(Compose(open));
    }

    /// <summary>The enclosing work as "name done/total ›", then the innermost work's full line with bar and ETA.</summary>
    public static string Compose(IReadOnlyList<WorkStatus> active)
    {
        if (active.Count == 0) return "";
        var outer = active.Take(active.Count - 1).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name} {s.Done:N0}/{s.Total:N0} › "));
        return string.Concat(outer) + active[^1].Line();
    }

    static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }

    sealed class Uninstall(IDisposable listening, ConsoleWorkProgress display) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                display.Erase();
                if (current == display) current = null;
            }
            listening.Dispose();
        }
    }

    sealed class Unroute(ConsoleWorkProgress? display) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (display is null) return;
                display.live = null;
                display.liveTasks.Clear();
            }
        }
    }
}
