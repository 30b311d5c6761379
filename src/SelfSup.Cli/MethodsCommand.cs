using System.CommandLine;
using SelfSup.Methods;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>`selfsup methods`: every registered method with its family, paper and one line.</summary>
public static class MethodsCommand
{
    public static Command Create()
    {
        var cmd = new Command("methods", "List every registered self-supervised method");
        cmd.SetAction(_ => Cli.Guard(() =>
        {
            var table = new Table().AddColumns("name", "family", "paper", "summary");
            foreach (var m in MethodRegistry.All)
                table.AddRow(Markup.Escape(m.Name), Markup.Escape(m.Family), Markup.Escape(m.Paper), Markup.Escape(m.Summary));
            AnsiConsole.Write(table);
            return 0;
        }));
        return cmd;
    }
}
