using System.Text.RegularExpressions;
using SelfSup.Reporting;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Reporting;

public partial class RunReportHtmlTests
{
    [GeneratedRegex("<img [^>]*src=\"([^\"]*)\"")]
    private static partial Regex ImageSource();

    /// <summary>Checks the page needs nothing outside itself: no scripts, no links to fetch, every picture a decodable data URI.</summary>
    internal static void AssertSelfContained(string html)
    {
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        var sources = ImageSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Regex.Matches(html, "<img ").Count, sources.Count);
        foreach (var src in sources)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(src["data:image/png;base64,".Length..]));
            Assert.NotNull(bitmap);
        }
    }

    [Fact]
    public void Page_IsSelfContained_WithEverySectionOfTheRun_AndTheEvaluationNumbers()
    {
        using var dir = new TempDir();
        SampleRun.Write(dir.Path);

        var result = RunReportHtml.Write(dir.Path);
        var html = File.ReadAllText(result.Path);

        Assert.Equal(dir.File("report.html"), result.Path);
        AssertSelfContained(html);
        Assert.Equal(2, Regex.Matches(html, "<img ").Count); // curves.png and reconstructions.png
        foreach (var section in new[] { "Configuration", "Training", "Evaluation", "Label efficiency", "Embedding maps", "Reconstructions", "Missing" })
            Assert.Contains($"<h2>{section}</h2>", html);
        Assert.DoesNotContain("<h2>Attention maps</h2>", html); // optional and absent: neither shown nor listed as missing
        Assert.DoesNotContain("<li>attention", html);
        Assert.Contains("<td>pretrained (jigsaw, resnet18)</td><td class=\"num\">25.88</td><td class=\"num\">34.84</td>", html);
        Assert.Contains("<td>random-init twin</td><td class=\"num\">23.4</td><td class=\"num\">27.44</td>", html);
        Assert.Contains("<td>raw pixels</td><td class=\"num\">39.29</td><td class=\"num\">30.71</td>", html);
        Assert.Contains("<td>jigsaw accuracy (%)</td><td class=\"num\">88.65</td><td class=\"num\">1</td>", html);
        Assert.Contains("<td>copy_ab_error</td><td class=\"num\">4.051</td>", html);
        Assert.Contains("learning_rate: 0.1", html);
        Assert.Contains("<caption>final step</caption>", html);
        Assert.Contains("monitor_std", html); // the monitor curves are drawn
        Assert.True(html.IndexOf("<h2>Evaluation</h2>", StringComparison.Ordinal) < html.IndexOf("<h2>Reconstructions</h2>", StringComparison.Ordinal));
        Assert.Equal(["label_efficiency.*", "clustering.json", "retrieval.json", "robustness.json", "tsne.json"], result.Missing);
    }

    [Fact]
    public void ConfigValues_AndFileNames_AreEscaped()
    {
        using var dir = new TempDir();
        SampleRun.Write(dir.Path, configExtra: "note: \"<script>alert('x')</script> & <b>bold</b>\"\n");
        File.Copy(dir.File("reconstructions.png"), dir.File("odd <name> & \"q\".png"));

        var html = File.ReadAllText(RunReportHtml.Write(dir.Path).Path);

        AssertSelfContained(html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>bold", html);
        Assert.Contains("alt=\"odd &lt;name&gt; &amp; &quot;q&quot;.png\"", html);
        Assert.Contains("<h2>Other results</h2>", html);
    }

    [Fact]
    public void Page_OfAnEmptyFolder_ListsWhatIsMissing_AndHasNoPictures()
    {
        using var dir = new TempDir();
        var html = File.ReadAllText(RunReportHtml.Write(dir.Path).Path);
        Assert.Contains("<p class=\"missing\">Missing: no <code>config.yaml</code> (written by <code>selfsup pretrain</code>).</p>", html);
        Assert.Contains("<li>metrics.jsonl</li>", html);
        Assert.DoesNotContain("<img", html);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
    }
}
