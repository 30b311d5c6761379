using System.Text;
using CsCheck;
using SelfSup.Data;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class LabelCsvFuzzTests
{
    const string LabelSeed = "0000001diBp0";
    const string CaptionSeed = "0000001diBq0";

    static readonly Gen<string> Fields = Gen.Frequency(
        (4, Gen.OneOf(Gen.Const("a.png"), Gen.Const("b.png"), Gen.Const("sub/c.png"), Gen.Const("cat"), Gen.Const("dog"), Gen.Const("path"), Gen.Const("label"),
            Gen.Const("caption"), Gen.Const("file"))),
        (2, Gen.OneOf(Gen.Const("\"a,png\""), Gen.Const("\"unclosed"), Gen.Const("\"\"\"\""), Gen.Const("../a.png"), Gen.Const("/etc/hostname"),
            Gen.Const("\\a.png"), Gen.Const("a.png\0"), Gen.Const(" "), Gen.Const(""), Gen.Const("\t"), Gen.Const("🐈"), Gen.Const("\uFEFF"))),
        (1, Gen.String[0, 12]),
        (1, Gen.Int[1, 1000].Select(n => new string('x', n))));

    /// <summary>1–8 lines of 0–4 fields joined by commas or tabs, with CR, LF or no line ends.</summary>
    static readonly Gen<byte[]> Structured = Gen.Select(Fields.Array[0, 4].Array[1, 8], Gen.OneOf(Gen.Const(","), Gen.Const("\t")), Gen.OneOf(Gen.Const("\n"), Gen.Const("\r\n"), Gen.Const("\r")),
        (lines, separator, end) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => string.Join(separator, l) + end))));

    static void InFolder(string dir)
    {
        foreach (var name in new[] { "a.png", "b.png", "sub/c.png" })
            if (!File.Exists(Path.Combine(dir, name)))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, name))!);
                File.WriteAllBytes(Path.Combine(dir, name), [1]);
            }
    }

    [Fact]
    public void HostileLabelFiles_LoadOrFailNamingTheFile()
    {
        var valid = Encoding.UTF8.GetBytes("path,label\na.png,cat\n\"b.png\",dog\nsub/c.png,cat\n");
        var cases = Gen.Frequency((1, Mutations.Of(valid)), (2, Structured))
            .SelectMany(b => Gen.OneOf(Gen.Const("labels.csv"), Gen.Const("labels.tsv")).Select(n => new HostileCase(n, b)));
        HostileFiles.Check(cases, LabelSeed, path =>
        {
            var root = Path.GetDirectoryName(path)!;
            InFolder(root);
            foreach (var row in LabelFile.Read(path, root))
                Assert.True(File.Exists(Path.Combine(root, row.Path)) && !Path.IsPathRooted(row.Path));
        }, [typeof(InvalidDataException)]);
    }

    [Fact]
    public void HostileCaptionFiles_LoadOrFailNamingTheFile()
    {
        var csv = Encoding.UTF8.GetBytes("id,path,caption\n1,a.png,\"a cat, asleep\"\n2,b.png,a dog\n");
        var jsonl = Encoding.UTF8.GetBytes("{\"image\": \"a.png\", \"caption\": \"a cat\"}\n{\"image\": \"b.png\", \"caption\": \"a dog\"}\n");
        var cases = Gen.Frequency(
            (1, Mutations.Of(csv).Select(b => new HostileCase("captions.csv", b))),
            (2, Structured.Select(b => new HostileCase("captions.csv", b))),
            (1, Mutations.Of(jsonl).Select(b => new HostileCase("captions.jsonl", b))));
        HostileFiles.Check(cases, CaptionSeed, path =>
        {
            var root = Path.GetDirectoryName(path)!;
            InFolder(root);
            foreach (var row in ImageCaptions.ReadCaptions(path, root))
                Assert.True(File.Exists(Path.Combine(root, row.Path)) && row.Captions.Count > 0);
        }, [typeof(InvalidDataException)]);
    }

    [Fact]
    public void AbsolutePath_IsRefusedInsteadOfReadingOutsideTheRoot()
    {
        using var dir = new TempDir();
        using var elsewhere = new TempDir();
        InFolder(dir.Path);
        var outside = elsewhere.File("secret.png");
        File.WriteAllBytes(outside, [1]);
        var labels = dir.File("labels.csv");
        File.WriteAllText(labels, $"a.png,cat\n{outside},dog\n");

        var e = Assert.Throws<InvalidDataException>(() => LabelFile.Read(labels, dir.Path));

        Assert.Equal($"{labels} line 2: '{outside}' is not a path relative to the data root", e.Message);
    }
}
