using Microsoft.ML;
using Microsoft.ML.Trainers;
using SelfSup.Evaluation;

namespace SelfSup.MLNet;

/// <summary>
/// The linear probe of <c>selfsup eval</c> (<see cref="LinearProbe"/>) as an ML.NET pipeline on an embedding
/// column: the features are standardised with the training statistics ((f − μ) / σ, NormalizeMeanVariance without a
/// fixed zero), the label is mapped to a key, and <c>LbfgsMaximumEntropy</c> fits multinomial logistic regression
/// with the same L2 penalty. SelfSup minimises mean CE + (λ/2)‖W‖²; ML.NET minimises (Σ CE + (L2/2)‖W‖²) / N,
/// so L2 = λ·N for N training rows. Neither penalises the biases; both stop near the optimum of the same convex
/// problem, so their accuracies agree to a fraction of a point (tests/SelfSup.Tests/MLNet).
/// </summary>
public static class LinearProbePipeline
{
    /// <summary>The normalise → key → L-BFGS chain; the predicted key is in PredictedLabel.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="trainRows">N, the number of rows the chain will be fitted on (sets L2 = λ·N).</param>
    /// <param name="probe">The probe's settings (λ = WeightDecay, history size, iteration cap); default: <c>selfsup eval</c>'s.</param>
    /// <param name="featureColumn">The embedding column.</param>
    /// <param name="labelColumn">The class column (any type MapValueToKey takes, e.g. UInt32).</param>
    public static IEstimator<ITransformer> Create(MLContext mlContext, long trainRows, LinearProbeOptions? probe = null,
        string featureColumn = "Features", string labelColumn = "Label")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if (trainRows <= 0) throw new ArgumentException($"linear probe pipeline: trainRows must be positive, got {trainRows}");
        probe ??= new LinearProbeOptions();
        var options = new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = labelColumn,
            FeatureColumnName = featureColumn,
            L1Regularization = 0,
            L2Regularization = (float)(probe.WeightDecay * trainRows),
            HistorySize = probe.HistorySize,
            MaximumNumberOfIterations = probe.MaxIterations,
        };
        return mlContext.Transforms.NormalizeMeanVariance(featureColumn, fixZero: false)
            .Append(mlContext.Transforms.Conversion.MapValueToKey(labelColumn))
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(options));
    }
}
