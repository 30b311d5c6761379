using SelfSup.Runs;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>Prints an evaluation as a table: the pretrained encoder against the random-init twin and raw pixels.</summary>
public static class ResultsTable
{
    public static void Print(EvaluationResults r)
    {
        var table = new Table()
            .Title(Markup.Escape($"{r.Method} · {r.Encoder} · {r.Dataset} · {r.Epochs:0.##} epochs · test top-1 (%)"))
            .AddColumns("features", "k-NN (k=" + r.KnnK + ")", "linear probe");
        table.AddRow(Markup.Escape(r.Method), $"{r.KnnTop1:F2}", $"{r.LinearTop1:F2}");
        table.AddRow("random init (BN re-estimated)", $"{r.RandomInit.KnnTop1:F2}", $"{r.RandomInit.LinearTop1:F2}");
        table.AddRow("raw pixels", $"{r.RawPixels.KnnTop1:F2}", $"{r.RawPixels.LinearTop1:F2}");
        AnsiConsole.Write(table);
        if (r.PretextAccuracy is { } pretext)
            Console.WriteLine($"pretext task: {r.PretextMetric} {pretext:F2}% on the test split (chance {r.PretextChance:F2}%)");
        foreach (var (name, value) in r.PretextScores ?? new Dictionary<string, double>())
            Console.WriteLine($"pretext task: {name} {value:0.###} on the test split");
        Console.WriteLine($"gain over random init: k-NN {r.KnnTop1 - r.RandomInit.KnnTop1:+0.0;-0.0} points, linear {r.LinearTop1 - r.RandomInit.LinearTop1:+0.0;-0.0} points");
    }
}
