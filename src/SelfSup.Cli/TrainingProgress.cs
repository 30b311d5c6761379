using SelfSup.Runs;
using SelfSup.Training;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>Shows a training run: a Spectre.Console progress bar on a terminal, a plain line every ~5 % otherwise (logs, CI).</summary>
public static class TrainingProgress
{
    sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    public static TrainSummary Run(Func<IProgress<TrainProgress>, TrainSummary> fit, string title)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            TrainSummary? summary = null;
            AnsiConsole.Progress()
                .HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title));
                    using var rows = ConsoleWorkProgress.RouteTo(ctx);
                    summary = fit(new Sync<TrainProgress>(p =>
                    {
                        task.MaxValue = p.TotalSteps;
                        task.Value = p.Step;
                        task.Description = Markup.Escape($"{title} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s");
                    }));
                });
            return summary!;
        }
        long nextReport = 0;
        return fit(new Sync<TrainProgress>(p =>
        {
            if (p.Step < nextReport && p.Step != p.TotalSteps) return;
            nextReport = p.Step + Math.Max(1, p.TotalSteps / 20);
            Console.WriteLine($"{title} step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F0} img/s");
        }));
    }
}
