using System.CommandLine;
using System.Globalization;
using SelfSup.Methods;
using Spectre.Console;

namespace SelfSup.Cli;

/// <summary>`selfsup methods [NAME]`: every registered method in one line each, or one method's paper, recipe and options.</summary>
public static class MethodsCommand
{
    public static Command Create()
    {
        var cmd = new Command("methods", "List every registered self-supervised method, or show one method's paper, recipe and options");
        var name = new Argument<string?>("name") { Description = "a method's name: print its paper, training recipe and every option", Arity = ArgumentArity.ZeroOrOne };
        cmd.Arguments.Add(name);
        cmd.SetAction(r => Cli.Guard(() =>
        {
            if (r.GetValue(name) is { } n) Show(MethodRegistry.Get(n));
            else List();
            return 0;
        }));
        return cmd;
    }

    static void List()
    {
        var table = new Table().AddColumns("name", "family", "paper", "summary");
        foreach (var m in MethodRegistry.All)
            table.AddRow(Markup.Escape(m.Name), Markup.Escape(m.Family), Markup.Escape(m.Paper), Markup.Escape(m.Summary));
        AnsiConsole.Write(table);
    }

    static void Show(MethodInfo m)
    {
        Console.WriteLine($"{m.Name} ({m.Family})");
        Console.WriteLine($"  {m.Paper}");
        Console.WriteLine($"  {m.Summary}");
        Console.WriteLine();
        Console.WriteLine("Recipe (used unless a run file or a flag sets it):");
        foreach (var (key, value) in m.Recipe.Describe()) Console.WriteLine($"  {key,-18} {value}");
        Console.WriteLine();
        Console.WriteLine("Options (--set key=value):");
        var table = new Table().AddColumns("option", "default", "what it controls");
        foreach (var (key, value, doc) in OptionDocs.Describe(m.DefaultOptions))
            table.AddRow(Markup.Escape(key), Markup.Escape(Format(value)), Markup.Escape(doc));
        AnsiConsole.Write(table);
    }

    static string Format(object? v) => v switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
