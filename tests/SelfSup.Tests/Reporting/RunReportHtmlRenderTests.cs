using System.Diagnostics;
using SelfSup.Reporting;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Reporting;

/// <summary>
/// The report page rendered by a real browser (Debian's headless chromium), offline: the screenshot must show
/// something, and the DOM the browser built must hold the evaluation tables.
/// </summary>
public class RunReportHtmlRenderTests
{
    static string Chromium()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "chromium")).FirstOrDefault(File.Exists);
        Assert.True(found is not null, "chromium not found on PATH: run scripts/setup-test-data.sh (installs Debian's chromium) to render report pages");
        return found!;
    }

    static string RunChromium(string profile, params string[] args)
    {
        var start = new ProcessStartInfo(Chromium(), ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile}", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "chromium did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"chromium failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    [Fact]
    public void Page_RendersOffline_IntoAScreenshotThatIsNotBlank_WithTheResultTablesInTheDom()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        SampleRun.Write(run);
        var page = RunReportHtml.Write(run).Path;
        var url = new Uri(page).AbsoluteUri;

        var shot = dir.File("shot.png");
        RunChromium(dir.File("profile"), $"--screenshot={shot}", "--window-size=1280,2000", url);
        using (var bitmap = Png.Read(shot))
        {
            Assert.Equal((1280, 2000), (bitmap.Width, bitmap.Height));
            var (nonWhite, variance) = Ink(bitmap);
            Assert.True(nonWhite > 0.03, $"screenshot is nearly blank: {nonWhite:P1} of pixels not white");
            Assert.True(variance > 200, $"screenshot is nearly uniform: grey-level variance {variance:F0}");
        }

        var dom = RunChromium(dir.File("profile"), "--dump-dom", url);
        Assert.Contains("<td>pretrained (jigsaw, resnet18)</td><td class=\"num\">25.88</td><td class=\"num\">34.84</td>", dom);
        Assert.Contains("<td>random-init twin</td><td class=\"num\">23.4</td><td class=\"num\">27.44</td>", dom);
        Assert.Contains("<td>raw pixels</td><td class=\"num\">39.29</td><td class=\"num\">30.71</td>", dom);
        Assert.Contains("<td>jigsaw accuracy (%)</td><td class=\"num\">88.65</td>", dom);
    }

    /// <summary>Share of pixels darker than near-white, and the variance of the grey level over a sampled grid.</summary>
    static (double NonWhite, double Variance) Ink(SKBitmap bitmap)
    {
        var greys = new List<double>();
        for (var y = 0; y < bitmap.Height; y += 4)
            for (var x = 0; x < bitmap.Width; x += 4)
            {
                var c = bitmap.GetPixel(x, y);
                greys.Add(0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue);
            }
        var mean = greys.Average();
        return (greys.Count(g => g < 245) / (double)greys.Count, greys.Sum(g => (g - mean) * (g - mean)) / greys.Count);
    }
}
