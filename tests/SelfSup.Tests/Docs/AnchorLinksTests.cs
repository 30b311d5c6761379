using System.Text;
using System.Text.RegularExpressions;

namespace SelfSup.Tests.Docs;

/// <summary>
/// Every link to a section of a Markdown page (<c>(#name)</c> or <c>(page.md#name)</c>) in README.md, bench/README.md
/// and docs/ names a heading that exists, by GitHub's rule for heading anchors.
/// </summary>
public partial class AnchorLinksTests
{
    [GeneratedRegex(@"\]\(([^)\s#]*\.md)?#([^)\s]+)\)")]
    private static partial Regex AnchorLink();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    /// <summary>
    /// GitHub's anchor of a heading: lower case, every character but letters, digits, spaces, '-' and '_' dropped,
    /// spaces turned into '-'; the second heading of the same anchor gets "-1", the third "-2".
    /// </summary>
    internal static IReadOnlySet<string> Anchors(string markdown)
    {
        var seen = new Dictionary<string, int>();
        var anchors = new HashSet<string>();
        var withoutCode = Regex.Replace(markdown, "^```.*?^```", "", RegexOptions.Multiline | RegexOptions.Singleline);
        foreach (Match m in Heading().Matches(withoutCode))
        {
            var text = Regex.Replace(m.Groups[1].Value, @"\[([^\]]*)\]\([^)]*\)", "$1"); // a link keeps its words
            var slug = new StringBuilder();
            foreach (var c in text.ToLowerInvariant())
                if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
                else if (c == ' ') slug.Append('-');
            var anchor = slug.ToString();
            var n = seen.GetValueOrDefault(anchor);
            seen[anchor] = n + 1;
            anchors.Add(n == 0 ? anchor : $"{anchor}-{n}");
        }
        return anchors;
    }

    [Theory]
    [InlineData("## simclr\ntext", "simclr")]
    [InlineData("## Wrong arithmetic in the CPU's convolution library", "wrong-arithmetic-in-the-cpus-convolution-library")]
    [InlineData("### Barlow Twins (λ = 5e-3)", "barlow-twins-λ--5e-3")]
    [InlineData("## a\n## a", "a-1")]
    public void Anchors_FollowGitHubsRule(string markdown, string anchor) => Assert.Contains(anchor, Anchors(markdown));

    [Fact]
    public void HeadingsInsideCodeBlocks_AreNotAnchors() => Assert.DoesNotContain("x", Anchors("```\n# x\n```\n## y"));

    [Fact]
    public void EverySectionLinkInTheDocs_NamesAnExistingHeading()
    {
        var root = ResultFilesTests.Root;
        var docs = new[] { Path.Combine(root, "README.md"), Path.Combine(root, "bench", "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Where(File.Exists)
            .ToList();
        var broken = new List<string>();
        var links = 0;
        foreach (var doc in docs)
        foreach (Match m in AnchorLink().Matches(File.ReadAllText(doc)))
        {
            links++;
            var target = m.Groups[1].Success ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, m.Groups[1].Value)) : doc;
            var anchor = Uri.UnescapeDataString(m.Groups[2].Value);
            if (!File.Exists(target) || !Anchors(File.ReadAllText(target)).Contains(anchor))
                broken.Add($"{Path.GetRelativePath(root, doc)}: {m.Value}");
        }
        Assert.True(links > 0, "no section links found in the docs");
        Assert.Empty(broken);
    }
}
