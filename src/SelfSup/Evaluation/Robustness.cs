using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using SelfSup.Data;
using TorchSharp;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>Settings of <see cref="Robustness"/>.</summary>
public sealed record RobustnessOptions
{
    /// <summary>Where corruptions and the probe run (features are gathered on the CPU in between).</summary>
    public required Device Device { get; init; }

    /// <summary>Corruptions to apply (default: all six).</summary>
    public IReadOnlyList<CorruptionKind> Corruptions { get; init; } = Evaluation.Corruptions.All;

    /// <summary>Severities 1…MaxSeverity are measured.</summary>
    public int MaxSeverity { get; init; } = Evaluation.Corruptions.MaxSeverity;

    public LinearProbeOptions LinearProbe { get; init; } = new();

    public int BatchSize { get; init; } = 512;

    /// <summary>Seeds the random corruption parameters; every feature source sees the same corrupted images.</summary>
    public int Seed { get; init; }

    public IProgress<string>? Log { get; init; }
}

/// <summary>Probe accuracy (percent) on the test images under one corruption at one severity.</summary>
public sealed record CorruptionScore(
    [property: JsonPropertyName("corruption")] string Corruption,
    [property: JsonPropertyName("severity")] int Severity,
    [property: JsonPropertyName("parameter")] double Parameter,
    [property: JsonPropertyName("top1")] double Top1);

/// <summary>Clean and corrupted test accuracy of one feature source's linear probe.</summary>
public sealed record RobustnessScores(
    [property: JsonPropertyName("clean_top1")] double CleanTop1,
    [property: JsonPropertyName("mean_corrupted_top1")] double MeanCorruptedTop1,
    [property: JsonPropertyName("mean_top1_by_corruption")] IReadOnlyDictionary<string, double> MeanByCorruption,
    [property: JsonPropertyName("corrupted")] IReadOnlyList<CorruptionScore> Corrupted);

/// <summary>
/// Robustness of frozen features to common corruptions: a linear probe (standardised features, L-BFGS softmax
/// regression, as in <see cref="LinearProbe"/>) is trained once on clean training features and then scored on the
/// test images under each corruption and severity. Nothing is re-fitted on corrupted data.
/// </summary>
public static class Robustness
{
    public static RobustnessScores Evaluate(MetricsFeatureSource source, ImageDataset train, ImageDataset test, RobustnessOptions options)
    {
        if (train.Labels is null || test.Labels is null)
            throw new ArgumentException($"robustness: '{train.Name}' and '{test.Name}' must both have labels");
        if (options.MaxSeverity is < 1 or > Corruptions.MaxSeverity)
            throw new ArgumentException($"robustness: MaxSeverity must be in [1, {Corruptions.MaxSeverity}], got {options.MaxSeverity}");
        options.LinearProbe.Validate();
        var clock = Stopwatch.StartNew();
        var numClasses = (int)Math.Max(train.NumClasses, Math.Max(train.Labels.Max(), test.Labels.Max()) + 1);
        using var scope = NewDisposeScope();
        var xTrain = source.Extract(train, options.BatchSize).to(options.Device); // [N_train, D]
        using var standardizer = FeatureStandardizer.Fit(xTrain);
        var yTrain = tensor(train.Labels, ScalarType.Int64, options.Device); // [N_train]
        var o = options.LinearProbe;
        var (theta, _) = SoftmaxLbfgs.Fit(standardizer.Apply(xTrain), yTrain, numClasses, o.WeightDecay, o.MaxIterations,
            o.GradientTolerance, o.HistorySize); // [D + 1, C]
        var yTest = tensor(test.Labels, ScalarType.Int64, options.Device); // [N_test]

        double Score(Func<Tensor, long, Tensor>? transform)
        {
            using var s = NewDisposeScope();
            var x = standardizer.Apply(source.Extract(test, options.BatchSize, transform).to(options.Device)); // [N_test, D]
            var d = x.shape[1];
            var predicted = x.matmul(theta.narrow(0, 0, d)).add(theta[d]).argmax(1); // [N_test]
            return 100.0 * predicted.eq(yTest).sum().item<long>() / yTest.shape[0];
        }

        var clean = Score(null);
        options.Log?.Report(string.Format(CultureInfo.InvariantCulture, "{0}: clean top-1 {1:F2} %", source.Name, clean));
        var scores = new List<CorruptionScore>();
        using var meter = WorkProgress.Start("robustness", (long)options.Corruptions.Count * options.MaxSeverity, "corruptions");
        foreach (var kind in options.Corruptions)
        {
            for (var severity = 1; severity <= options.MaxSeverity; severity++)
            {
                // One generator per (corruption, severity), seeded independently of the source: identical images for all.
                using var generator = new Generator((ulong)(options.Seed * 1000L + (int)kind * 10 + severity));
                var sev = severity;
                var top1 = Score((batch, _) => Corruptions.ApplyToBytes(batch, kind, sev, generator, options.Device));
                scores.Add(new CorruptionScore(Corruptions.Name(kind), severity, Corruptions.Parameter(kind, severity), top1));
                meter.Advance();
            }
            options.Log?.Report(string.Format(CultureInfo.InvariantCulture, "{0}: {1} top-1 by severity {2}", source.Name,
                Corruptions.Name(kind), string.Join(" / ", scores.Where(s => s.Corruption == Corruptions.Name(kind)).Select(s => s.Top1.ToString("F1", CultureInfo.InvariantCulture)))));
        }
        var byCorruption = scores.GroupBy(s => s.Corruption).ToDictionary(g => g.Key, g => Math.Round(g.Average(s => s.Top1), 4));
        options.Log?.Report(string.Format(CultureInfo.InvariantCulture, "{0}: robustness done in {1:F1} s", source.Name, clock.Elapsed.TotalSeconds));
        return new RobustnessScores(clean, scores.Count == 0 ? clean : scores.Average(s => s.Top1), byCorruption, scores);
    }
}
