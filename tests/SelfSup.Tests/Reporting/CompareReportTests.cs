using System.Text.RegularExpressions;
using SelfSup.Reporting;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Reporting;

public class CompareReportTests
{
    [Fact]
    public void Page_TabulatesEachRunsResults_OnlyTheConfigFieldsThatDiffer_AndOverlaysTheLosses()
    {
        using var dir = new TempDir();
        SampleRun.Write(dir.File("a"), lr: 0.1);
        SampleRun.Write(dir.File("b"), configExtra: "extra: <x>\n", results: SampleRun.Results(knn: 31.5, linear: 40.25), lr: 0.3);
        Directory.CreateDirectory(dir.File("c")); // a folder with nothing in it yet

        var path = CompareReport.Write([dir.File("a"), dir.File("b"), dir.File("c")], dir.File("compare.html"));
        var html = File.ReadAllText(path);

        RunReportHtmlTests.AssertSelfContained(html);
        Assert.Contains("<tr><td>a</td><td>jigsaw</td><td>resnet18</td><td class=\"num\">10</td><td class=\"num\">25.88</td><td class=\"num\">34.84</td>", html);
        Assert.Contains("<tr><td>b</td><td>jigsaw</td><td>resnet18</td><td class=\"num\">10</td><td class=\"num\">31.5</td><td class=\"num\">40.25</td>", html);
        Assert.Contains("<tr><td>c</td><td>no results.json from selfsup eval</td>", html);
        Assert.Contains("<tr><th>field</th><th>a</th><th>b</th><th>c</th></tr>", html);
        Assert.Contains("<tr><td>learning_rate</td><td class=\"num\">0.1</td><td class=\"num\">0.3</td><td></td></tr>", html);
        Assert.Contains("<tr><td>extra</td><td>—</td><td>&lt;x&gt;</td><td></td></tr>", html);
        Assert.DoesNotContain("<td>method</td>", html);         // the same in both configs
        Assert.DoesNotContain("<td>normalize_mean</td>", html); // a list, the same in both
        Assert.Equal(2, Regex.Matches(html, "<img ").Count);     // loss per step and per epoch
        Assert.Contains("Missing <code>config.yaml</code>: c.", html);
        Assert.False(File.Exists(dir.File("a/curves.png")));      // nothing written into the runs
    }

    [Fact]
    public void RunsOfTheSameName_AreToldApartByTheirParentFolder()
    {
        using var dir = new TempDir();
        SampleRun.Write(dir.File("x/run"));
        SampleRun.Write(dir.File("y/run"));
        var html = File.ReadAllText(CompareReport.Write([dir.File("x/run"), dir.File("y/run")], dir.File("c.html")));
        Assert.Contains("<td>x/run</td>", html);
        Assert.Contains("<td>y/run</td>", html);
    }

    [Fact]
    public void NoRuns_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => CompareReport.Render([]));
        Assert.Contains("expected one or more", e.Message);
    }
}
