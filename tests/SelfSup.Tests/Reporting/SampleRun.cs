using SelfSup.Reporting.Plots;
using SelfSup.Runs;
using SkiaSharp;

namespace SelfSup.Tests.Reporting;

/// <summary>A run folder as `selfsup pretrain`, `eval` and `reconstruct` leave it, with numbers chosen to be found again in a page.</summary>
internal static class SampleRun
{
    public static EvaluationResults Results(string method = "jigsaw", double knn = 25.88, double linear = 34.84) => new()
    {
        Method = method,
        Dataset = "cifar10",
        Encoder = "resnet18",
        Epochs = 10,
        KnnTop1 = knn,
        LinearTop1 = linear,
        RandomInit = new ProbeScores(23.4, 27.44),
        RawPixels = new ProbeScores(39.29, 30.71),
        PretextMetric = "jigsaw accuracy",
        PretextAccuracy = 88.65,
        PretextChance = 1,
        PretextScores = new Dictionary<string, double> { ["copy_ab_error"] = 4.051 },
        KnnK = 20,
    };

    /// <summary>Writes config.yaml (with <paramref name="configExtra"/> appended), metrics.jsonl of 40 steps and 2 epochs, results.json, and reconstructions.png.</summary>
    public static void Write(string dir, string configExtra = "", EvaluationResults? results = null, double lr = 0.1)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.yaml"),
            $"method: {(results ?? Results()).Method}\nencoder: resnet18\nlearning_rate: {lr}\nnormalize_mean:\n- 0.49\n- 0.48\n{configExtra}");
        var lines = new List<string>();
        for (var step = 1; step <= 40; step++)
        {
            var monitor = step % 10 == 1 ? $",\"monitor_std\":0.03,\"rank_me\":{50 - step * 0.2},\"uniformity\":-0.4" : "";
            lines.Add($"{{\"step\":{step},\"epoch\":{(step - 1) / 20 + 1},\"loss\":{5.0 / step},\"lr\":{lr * (1 - step / 40.0)},\"embedding_std\":0.06{monitor}}}");
            if (step % 20 == 0) lines.Add($"{{\"step\":{step},\"epoch\":{step / 20},\"epoch_loss\":{10.0 / step},\"seconds\":1.5}}");
        }
        File.WriteAllLines(Path.Combine(dir, "metrics.jsonl"), lines);
        (results ?? Results()).Save(Path.Combine(dir, "results.json"));
        using var picture = new SKBitmap(64, 32);
        picture.Erase(SKColors.DarkOrange);
        PngCanvas.Save(picture, Path.Combine(dir, "reconstructions.png"));
    }
}
