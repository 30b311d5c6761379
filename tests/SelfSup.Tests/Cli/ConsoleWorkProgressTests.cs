using System.Text.RegularExpressions;
using SelfSup.Cli;
using SelfSup.Progress;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class ConsoleWorkProgressTests
{
    [Fact]
    public void WhenStderrIsNotATerminal_LongStepsLogPlainLinesWithEta_OnStderr_AndStdoutStaysClean()
    {
        using var dir = new TempDir();
        var data = EmbedCommandTests.ClassFolders(dir);
        var checkpoint = TinyRun.Pretrain(data, dir.File("run"));
        var (savedOut, savedError) = (Console.Out, Console.Error);
        var previous = Environment.GetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, "0"); // a line on every report
        Console.SetOut(output);
        Console.SetError(errors);
        int code;
        try
        {
            code = CliApp.Run(["embed", "--checkpoint", checkpoint, "--split", "all", "--out", dir.File("e.npy")]);
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
            Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, previous);
        }
        Assert.Equal(0, code);
        var lines = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var feature = lines.Where(l => l.StartsWith("features [", StringComparison.Ordinal)).ToList();
        Assert.True(feature.Count > 0, "stderr:\n" + errors + "\nstdout:\n" + output);
        Assert.Matches(new Regex(@"^features \[[#-]{20}\] \d+% \d+/10 images, [\d.,]+ images/s, (ETA|done in) "), feature[0]);
        Assert.Contains(feature, l => l.Contains("100% 10/10 images", StringComparison.Ordinal) && l.Contains("done in", StringComparison.Ordinal));
        Assert.DoesNotContain("features [", output.ToString());
    }

    [Fact]
    public void NestedWork_ShowsTheEnclosingCountsBeforeTheInnermostBar()
    {
        var outer = new WorkStatus(1, "label efficiency", 2, 6, "subsets", TimeSpan.FromSeconds(30), false);
        var inner = new WorkStatus(2, "fine-tune", 10, 40, "steps", TimeSpan.FromSeconds(5), false);
        Assert.Equal("label efficiency 2/6 › fine-tune [#####---------------] 25% 10/40 steps, 2.0 steps/s, ETA 15 s",
            ConsoleWorkProgress.Compose([outer, inner]));
        Assert.Equal("", ConsoleWorkProgress.Compose([]));
    }

    [Fact]
    public void TheInterval_ComesFromTheEnvironment_AndFallsBackToTenSeconds()
    {
        var previous = Environment.GetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, "2.5");
            Assert.Equal(2.5, ConsoleWorkProgress.IntervalSeconds());
            Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, "soon");
            Assert.Equal(10, ConsoleWorkProgress.IntervalSeconds());
            Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, "-1");
            Assert.Equal(10, ConsoleWorkProgress.IntervalSeconds());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConsoleWorkProgress.IntervalVariable, previous);
        }
    }
}
