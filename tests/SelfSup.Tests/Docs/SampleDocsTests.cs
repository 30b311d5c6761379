namespace SelfSup.Tests.Docs;

/// <summary>
/// The samples shown in the package README and in docs/dotnet.md are samples/*/Program.cs, which
/// scripts/pack-check.sh builds against the packed packages and runs: so the documented code compiles and runs.
/// </summary>
public class SampleDocsTests
{
    static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SelfSup.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds SelfSup.slnx");
    }

    /// <summary>The ```csharp blocks of a Markdown file, without their fences (an unclosed one is left out).</summary>
    internal static List<string> CSharpBlocks(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        var blocks = new List<string>();
        for (var start = Array.FindIndex(lines, l => l.Trim() == "```csharp"); start >= 0;)
        {
            var end = Array.FindIndex(lines, start + 1, l => l.Trim() == "```");
            if (end < 0) break;
            blocks.Add(string.Join("\n", lines[(start + 1)..end]) + "\n");
            start = Array.FindIndex(lines, end + 1, l => l.Trim() == "```csharp");
        }
        return blocks;
    }

    internal static string? FirstCSharpBlock(string markdown) => CSharpBlocks(markdown).FirstOrDefault();

    [Theory]
    [InlineData("src/SelfSup/README.nuget.md")]
    [InlineData("docs/dotnet.md")]
    public void Library_sample_in_the_docs_is_the_sample_program(string doc)
    {
        var root = Root();
        var program = File.ReadAllText(Path.Combine(root, "samples/EmbedSample/Program.cs")).Replace("\r\n", "\n");
        var block = FirstCSharpBlock(File.ReadAllText(Path.Combine(root, doc)));
        Assert.NotNull(block);
        Assert.Equal(program, block);
    }

    [Fact]
    public void Mlnet_sample_in_the_docs_is_the_sample_program()
    {
        var root = Root();
        var program = File.ReadAllText(Path.Combine(root, "samples/MlNetSample/Program.cs")).Replace("\r\n", "\n");
        Assert.Contains(program, CSharpBlocks(File.ReadAllText(Path.Combine(root, "docs/dotnet.md"))));
    }

    [Fact]
    public void First_csharp_block_is_found_between_its_fences()
    {
        Assert.Equal("a\nb\n", FirstCSharpBlock("text\n```bash\nx\n```\n```csharp\na\nb\n```\n```csharp\nc\n```\n"));
        Assert.Null(FirstCSharpBlock("```csharp\nunclosed\n"));
        Assert.Equal(["a\n", "c\n"], CSharpBlocks("```csharp\na\n```\ntext\n```csharp\nc\n```\n```csharp\nopen\n"));
    }

    [Fact]
    public void Test_command_runs_the_pack_check()
    {
        var readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var command = readme[readme.IndexOf("<!-- test-command -->", StringComparison.Ordinal)..];
        command = command[..command.IndexOf("```\n", command.IndexOf("```bash", StringComparison.Ordinal) + 7, StringComparison.Ordinal)];
        Assert.Contains("scripts/pack-check.sh", command);
    }
}
