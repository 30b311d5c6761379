using System.CommandLine;
using System.CommandLine.Help;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>The `selfsup` command line: every command is a thin layer over the library; errors become one line and exit code 1.</summary>
public static class Cli
{
    /// <summary>What help and usage lines call the program, whatever the executable's file name (SelfSup.Cli.dll).</summary>
    public const string Name = "selfsup";

    public static int Run(string[] args)
    {
        using var progress = ConsoleWorkProgress.Install();
        return CreateRoot().Parse(args).Invoke();
    }

    /// <summary>
    /// The root command. A <see cref="RootCommand"/> takes its name from the executable's file name, which would make
    /// usage lines read `SelfSup.Cli`; a plain command named <see cref="Name"/> with the same help and version options does not.
    /// </summary>
    public static Command CreateRoot() => new(Name, "SelfSup: self-supervised encoder training on TorchSharp")
    {
        new HelpOption(),
        new VersionOption(),
        PretrainCommand.Create(),
        EvalCommand.Create(),
        EmbedCommand.Create(),
        ExportCommand.Create(),
        IndexCommand.Create(),
        SearchCommand.Create(),
        DemoCommand.Create(),
        MethodsCommand.Create(),
        BenchCommand.Create(),
        ReportCommand.Create(),
        ReconstructCommand.Create(),
        AttentionCommand.Create(),
        DistributedCommand.Create(),
    };

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
            ConsoleWorkProgress.ClearBar();
            var rank = RankOnError is { } w ? $"rank {w.Rank} of {w.WorldSize}: " : "";
            Console.Error.WriteLine($"error: {rank}{inner.Message}");
            if (Environment.GetEnvironmentVariable("SELFSUP_DEBUG") == "1") Console.Error.WriteLine(inner);
            // One failed rank ends the job: the others would otherwise wait for it in their next collective.
            if (RankOnError is Distributed.MpiCollectives { WorldSize: > 1 } mpi) mpi.Mpi.Abort(1);
            return 1;
        }
    }

    /// <summary>True on the ranks other than 0 of a distributed run: they print nothing but errors.</summary>
    public static bool Quiet { get; set; }

    /// <summary>The distributed job this process is a rank of (errors name the rank and abort the job); null in one process.</summary>
    public static Methods.ICollectives? RankOnError { get; set; }

    public static void Info(string message)
    {
        if (Quiet) return;
        ConsoleWorkProgress.ClearBar();
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
    }
}
