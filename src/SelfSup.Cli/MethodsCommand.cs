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

    static void Show(MethodInfo m) => Console.Write(Describe(m));

    /// <summary>One method's paper, recipe and options with their doc lines, as plain text.</summary>
    public static string Describe(MethodInfo m)
    {
        var w = new StringWriter();
        w.WriteLine($"{m.Name} ({m.Family})");
        w.WriteLine($"  {m.Paper}");
        w.WriteLine($"  {m.Summary}");
        w.WriteLine();
        w.WriteLine(m.CnnRecipe is null ? "Recipe (used unless a run file or a flag sets it):" : "Recipe on a ViT (used unless a run file or a flag sets it):");
        foreach (var (key, value) in m.Recipe.Describe()) w.WriteLine($"  {key,-18} {value}");
        if (m.CnnRecipe is { } cnn)
        {
            w.WriteLine();
            w.WriteLine("Recipe on a CNN (ResNet, ConvNet):");
            foreach (var (key, value) in cnn.Describe()) w.WriteLine($"  {key,-18} {value}");
        }
        w.WriteLine();
        w.WriteLine("Options (--set key=value):");
        foreach (var (key, value, doc) in OptionDocs.Describe(m.DefaultOptions))
        {
            w.WriteLine($"  {key} = {Format(value)}");
            if (doc.Length > 0) w.WriteLine($"      {doc}");
        }
        return w.ToString();
    }

    static string Format(object? v) => v switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
