using System.CommandLine;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>The `selfsup` command line: every command is a thin layer over the library; errors become one line and exit code 1.</summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("SelfSup: self-supervised encoder training on TorchSharp")
        {
            PretrainCommand.Create(),
            EvalCommand.Create(),
            EmbedCommand.Create(),
            DemoCommand.Create(),
            MethodsCommand.Create(),
            BenchCommand.Create(),
            ReportCommand.Create(),
            ReconstructCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }

    /// <summary>Runs a command body, turning any failure into one readable line and a non-zero exit code.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var inner = e is TypeInitializationException { InnerException: { } ie } ? ie : e;
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {inner.Message}");
            if (Environment.GetEnvironmentVariable("SELFSUP_DEBUG") == "1") Console.Error.WriteLine(inner);
            return 1;
        }
    }

    public static void Info(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
}
