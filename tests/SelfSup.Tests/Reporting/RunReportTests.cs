using SelfSup.Reporting;
using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;
using SkiaSharp;

namespace SelfSup.Tests.Reporting;

public class RunReportTests
{
    static void WritePng(string path)
    {
        using var b = new SKBitmap(4, 4);
        b.Erase(SKColors.Gray);
        PngCanvas.Save(b, path);
    }

    [Fact]
    public void Report_HasASectionPerFilePresent_DrawsCurves_AndListsWhatIsMissing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.yaml"), "method: simclr\nepochs: 2\n");
        File.WriteAllLines(dir.File("metrics.jsonl"),
        [
            """{"step":1,"epoch":1,"loss":5.0,"lr":0.1,"embedding_std":0.05}""",
            """{"step":2,"epoch":1,"loss":4.0,"lr":0.2,"embedding_std":0.06}""",
            """{"step":2,"epoch":1,"epoch_loss":4.5,"seconds":1.5}""",
        ]);
        File.WriteAllText(dir.File("results.json"), """{"method":"simclr","knn_top1":43.53,"random_init":{"knn_top1":23.4}}""");
        File.WriteAllText(dir.File("tsne.json"), """{"projection":"tsne","ssl":{"knn_preservation":0.3}}""");
        WritePng(dir.File("tsne_ssl.png"));
        WritePng(dir.File("extra.png"));

        var result = RunReport.Write(dir.Path);
        var md = File.ReadAllText(result.Path);

        Assert.Equal(dir.File("report.md"), result.Path);
        Assert.Contains("```yaml\nmethod: simclr\nepochs: 2\n```", md);
        Assert.Contains("| step | epoch | loss | lr | embedding_std |", md);
        Assert.Contains("| 2 | 1 | 4 | 0.2 | 0.06 |", md);
        Assert.Contains("| 2 | 1 | 4.5 | 1.5 |", md);
        Assert.Contains("](curves.png)", md);
        using (var curves = Png.Read(dir.File("curves.png"))) Assert.True(curves.Height > curves.Width / 2);
        Assert.Contains("| knn_top1 | 43.53 |", md);
        Assert.Contains("| random_init.knn_top1 | 23.4 |", md);
        Assert.Contains("![tsne_ssl.png](tsne_ssl.png)", md);
        Assert.Contains("| ssl.knn_preservation | 0.3 |", md);
        Assert.Contains("## Other results", md);
        Assert.Contains("![extra.png](extra.png)", md);
        Assert.Equal(["label_efficiency.*", "clustering.json", "retrieval.json", "robustness.json"], result.Missing);
        Assert.Contains("Missing: no `clustering.json` or `clustering_*.png`", md);
        Assert.True(md.IndexOf("## Evaluation", StringComparison.Ordinal) < md.IndexOf("## Embedding maps", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_OfAnEmptyFolder_SaysEverythingIsMissing()
    {
        using var dir = new TempDir();
        var result = RunReport.Write(dir.Path);
        var md = File.ReadAllText(result.Path);
        Assert.Empty(result.Included);
        Assert.Equal(["config.yaml", "metrics.jsonl", "results.json", "label_efficiency.*", "clustering.json", "retrieval.json", "robustness.json", "tsne.json"], result.Missing);
        Assert.Contains("Missing: no `config.yaml`", md);
        Assert.Contains("- `metrics.jsonl`", md);
        Assert.False(File.Exists(dir.File("curves.png")));
    }

    [Fact]
    public void Report_RejectsAFolderThatDoesNotExist()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => RunReport.Write("/nonexistent/run"));
        Assert.Contains("/nonexistent/run", e.Message);
    }
}
