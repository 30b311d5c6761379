using SelfSup.Reporting;

namespace SelfSup.Tests.Reporting;

public class HtmlPageTests
{
    [Fact]
    public void Escape_ReplacesEveryCharacterThatCouldOpenMarkup()
    {
        Assert.Equal("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;", HtmlPage.Escape("<a href=\"x\" title='y'>&</a>"));
    }

    [Fact]
    public void Paragraph_SetsBacktickSpansAsCode_AfterEscaping_AndKeepsALoneBacktick()
    {
        var html = new HtmlPage("t").Paragraph("run `a<b>` then `c` and one ` left").ToString();
        Assert.Contains("<p>run <code>a&lt;b&gt;</code> then <code>c</code> and one ` left</p>", html);
    }

    [Fact]
    public void Table_RightAlignsNumbers_FillsShortRows_AndEscapesCells()
    {
        var table = new ReportTable("cap <1>", ["name", "value"], [["x&y", "1.5e-3"], ["short"]]);
        var html = new HtmlPage("t").Table(table).ToString();
        Assert.Contains("<caption>cap &lt;1&gt;</caption>", html);
        Assert.Contains("<tr><td>x&amp;y</td><td class=\"num\">1.5e-3</td></tr>", html);
        Assert.Contains("<tr><td>short</td><td></td></tr>", html);
    }

    [Fact]
    public void Title_IsEscaped_AndThePageDeclaresUtf8()
    {
        var html = new HtmlPage("a</title><script>").ToString();
        Assert.Contains("<title>a&lt;/title&gt;&lt;script&gt;</title>", html);
        Assert.Contains("<meta charset=\"utf-8\">", html);
    }
}
