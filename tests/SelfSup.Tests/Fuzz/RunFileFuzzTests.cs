using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class RunFileFuzzTests
{
    const string Seed = "0000001diBo0";

    static readonly byte[] Valid = Encoding.UTF8.GetBytes(
        "method: simclr\nepochs: 2\nbatch_size: 8\nlearning_rate: 0.3\nwindow: \"0:4095\"\nmethod_options:\n  temperature: 0.5\n");

    static readonly Gen<string> Keys = Gen.OneOf(
        Gen.Const("epochs"), Gen.Const("batch_size"), Gen.Const("learning_rate"), Gen.Const("method"), Gen.Const("method_options"),
        Gen.Const("window"), Gen.Const("adam_beta1"), Gen.Const("normalize_mean"), Gen.Const("optimizer"), Gen.Const("seed"),
        Gen.Const("epoch"), Gen.Const("<<"), Gen.String[0, 8]);

    static readonly Gen<string> Scalars = Gen.OneOf(
        Gen.Const("-1"), Gen.Const("0"), Gen.Const("1e400"), Gen.Const(".nan"), Gen.Const("true"), Gen.Const("~"), Gen.Const("\"\""),
        Gen.Const("99999999999999999999"), Gen.Const("simclr"), Gen.Const("byol"), Gen.Const("'5:1'"), Gen.Const("lars"),
        Mutations.Extreme.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.String[0, 6].Select(s => System.Text.Json.JsonSerializer.Serialize(s)));

    /// <summary>A value: a scalar, a flow list or map, an anchored value, an alias, or a nest of brackets up to 200 deep.</summary>
    static readonly Gen<string> Values = Gen.Frequency(
        (6, Scalars),
        (2, Scalars.Array[0, 4].Select(v => "[" + string.Join(", ", v) + "]")),
        (2, Gen.Select(Keys, Scalars, (k, v) => $"{{{System.Text.Json.JsonSerializer.Serialize(k)}: {v}}}")),
        (1, Gen.Select(Gen.Int[0, 3], Scalars, (a, v) => $"&a{a} [{v}, {v}, {v}]")),
        (1, Gen.Int[0, 4].Select(a => $"*a{a}")),
        (1, Gen.Int[1, 200].Select(d => new string('[', d) + new string(']', d))));

    static readonly Gen<byte[]> Structured = Gen.Select(Gen.Select(Keys, Values).Array[0, 6], Gen.Bool,
        (pairs, json) => Encoding.UTF8.GetBytes(json
            ? "{" + string.Join(", ", pairs.Select(p => $"{System.Text.Json.JsonSerializer.Serialize(p.Item1)}: {p.Item2}")) + "}"
            : string.Concat(pairs.Select(p => $"{System.Text.Json.JsonSerializer.Serialize(p.Item1)}: {p.Item2}\n"))));

    static void Resolve(string path) =>
        RunSettings.Resolve(new RunConfig(), RunSettings.ReadRunFile(path), path, new JsonObject());

    [Fact]
    public void HostileRunFiles_ResolveOrFailNamingTheFile()
    {
        var cases = Gen.Frequency((1, Mutations.Of(Valid)), (2, Structured)).Select(b => new HostileCase("run.yaml", b));
        HostileFiles.Check(cases, Seed, Resolve, [typeof(InvalidDataException), typeof(ArgumentException)]);
    }

    static InvalidDataException Refused(string text)
    {
        using var dir = new TempDir();
        var path = dir.File("run.yaml");
        File.WriteAllText(path, text);
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => RunSettings.ReadRunFile(path));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void BillionLaughs_IsRefusedQuickly()
    {
        var text = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
            text.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n"); // 9^10 ≈ 3.5 · 10^9 values

        Assert.Contains("more than 100,000 values once aliases are expanded", Refused(text.ToString()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TenThousandLevelsOfNesting_AreRefusedQuickly(bool flow)
    {
        var text = flow
            ? "method_options: " + new string('[', 10_000) + new string(']', 10_000) + "\n"
            : "method_options: " + string.Concat(Enumerable.Repeat("{a: ", 10_000)) + "1" + new string('}', 10_000) + "\n";

        Assert.Contains("nested deeper than 32 levels", Refused(text).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeventyLevelsOfBrackets_AreRefusedBeforeTheSettingsSerializerMeetsThem()
    {
        // Past System.Text.Json's depth of 64 once the settings are merged, they would throw an InvalidOperationException there.
        using var dir = new TempDir();
        var path = dir.File("run.yaml");
        File.WriteAllText(path, "batch_size: " + new string('[', 70) + new string(']', 70) + "\n");

        var e = Assert.Throws<InvalidDataException>(() => Resolve(path));

        Assert.Equal($"{path}, line 1: nested deeper than 32 levels", e.Message);
    }

    [Fact]
    public void ValueOutOfRange_NamesTheRunFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("run.yaml");
        File.WriteAllText(path, "method: simclr\nepochs: -3\n");

        var e = Assert.Throws<ArgumentException>(() => Resolve(path));

        Assert.Equal($"{path}, line 2: epochs: expected a positive number, got -3", e.Message);
    }

    [Fact]
    public void UnknownMethod_NamesTheRunFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("run.yaml");
        File.WriteAllText(path, "epochs: 3\nmethod: simclrr\n");

        var e = Assert.Throws<ArgumentException>(() => Resolve(path));

        Assert.StartsWith($"{path}, line 2: unknown method 'simclrr'", e.Message, StringComparison.Ordinal);
    }
}
