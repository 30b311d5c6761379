using System.Diagnostics;
using System.Globalization;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// The standard frozen-feature evaluation: k-NN and a linear probe on a trained encoder's embeddings, each next to
/// the same two baselines (random-init encoder, raw pixels) so a score can be read as a gain over them.
/// </summary>
public static class FrozenEvaluation
{
    /// <summary>
    /// Runs the evaluation. The random-init encoder's BatchNorm statistics are re-estimated on the training images
    /// first (that changes its buffers); the trained encoder keeps its own running statistics unless
    /// <see cref="FrozenEvalOptions.ReestimateTrainedBatchNorm"/> asks for the same treatment.
    /// </summary>
    public static FrozenEvalReport Run(Encoder trained, Encoder randomInit, ImageDataset train, ImageDataset test,
        ChannelStats stats, FrozenEvalOptions options)
    {
        if (train.Labels is null) throw new ArgumentException($"frozen evaluation: training dataset '{train.Name}' has no labels");
        if (test.Labels is null) throw new ArgumentException($"frozen evaluation: test dataset '{test.Name}' has no labels");
        if (options.MaxTrainImages is <= 0) throw new ArgumentException($"frozen evaluation: MaxTrainImages must be positive, got {options.MaxTrainImages}");
        var clock = Stopwatch.StartNew();
        var log = options.Log;

        ImageDataset? subset = null;
        if (options.MaxTrainImages is int cap && cap < train.Count)
        {
            using var rows = BatchNormReestimation.SubsetRows(train.Count, cap, options.Seed);
            subset = train.Subset(rows.data<long>().ToArray(), $"{train.Name} (subset of {cap})");
        }
        try
        {
            var trainSet = subset ?? train;
            var numClasses = (int)Math.Max(trainSet.NumClasses, Math.Max(trainSet.Labels!.Max(), test.Labels.Max()) + 1);

            if (options.ReestimateTrainedBatchNorm && BatchNormReestimation.Applies(trained))
            {
                log?.Report($"trained encoder: re-estimating BatchNorm statistics on up to {options.BatchNormImages} train images");
                BatchNormReestimation.Run(trained, trainSet, stats, options.Device, options.BatchNormImages, seed: options.Seed);
            }
            log?.Report($"features: trained encoder on {trainSet.Count} train and {test.Count} test images");
            var trainedScores = Score("trained", () => Features.Extract(trained, trainSet, stats, options.Device, options.BatchSize),
                () => Features.Extract(trained, test, stats, options.Device, options.BatchSize), trainSet, test, numClasses, options);

            if (BatchNormReestimation.Applies(randomInit))
                log?.Report($"random init: re-estimating BatchNorm statistics on up to {options.BatchNormImages} train images");
            BatchNormReestimation.Run(randomInit, trainSet, stats, options.Device, options.BatchNormImages, seed: options.Seed);
            var randomScores = Score("random init", () => Features.Extract(randomInit, trainSet, stats, options.Device, options.BatchSize),
                () => Features.Extract(randomInit, test, stats, options.Device, options.BatchSize), trainSet, test, numClasses, options);

            FeatureScores rawScores;
            if (options.RawPixelTrainImages is int rawCap && rawCap < trainSet.Count)
            {
                if (rawCap <= 0) throw new ArgumentException($"frozen evaluation: RawPixelTrainImages must be positive, got {rawCap}");
                using var rows = BatchNormReestimation.SubsetRows(trainSet.Count, rawCap, options.Seed + 1);
                using var rawTrain = trainSet.Subset(rows.data<long>().ToArray(), $"{trainSet.Name} (subset of {rawCap})");
                rawScores = Score($"raw pixels ({rawCap} train images)", () => Features.RawPixels(rawTrain, stats), () => Features.RawPixels(test, stats),
                    rawTrain, test, numClasses, options);
            }
            else
            {
                rawScores = Score("raw pixels", () => Features.RawPixels(trainSet, stats), () => Features.RawPixels(test, stats),
                    trainSet, test, numClasses, options);
            }

            return new FrozenEvalReport(trainedScores, randomScores, rawScores, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            subset?.Dispose();
        }
    }

    static FeatureScores Score(string what, Func<Tensor> trainFeatures, Func<Tensor> testFeatures, ImageDataset train,
        ImageDataset test, int numClasses, FrozenEvalOptions options)
    {
        var clock = Stopwatch.StartNew();
        using var xTrain = trainFeatures();
        using var xTest = testFeatures();
        // Features are gathered on the CPU; k-NN and the probe run on the evaluation device.
        using var onDeviceTrain = xTrain.to(options.Device);
        using var onDeviceTest = xTest.to(options.Device);
        var knn = Knn.Evaluate(onDeviceTrain, train.Labels!, onDeviceTest, test.Labels!, numClasses, options.K, options.Temperature);
        var linear = LinearProbe.Evaluate(onDeviceTrain, train.Labels!, onDeviceTest, test.Labels!, numClasses, options.LinearProbe);
        options.Log?.Report(string.Format(CultureInfo.InvariantCulture,
            "{0}: D = {1}, k-NN top-1 {2:F2} % (top-5 {3:F2} %), linear top-1 {4:F2} % (train {5:F2} %), {6:F1} s",
            what, xTrain.shape[1], knn.Top1, knn.Top5, linear.Top1, linear.TrainTop1, clock.Elapsed.TotalSeconds));
        return new FeatureScores(knn, linear);
    }
}
