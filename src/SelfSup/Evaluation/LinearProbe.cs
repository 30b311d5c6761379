using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>Linear-probe accuracies in percent: on the test set, and on the training set it was fitted to.</summary>
public sealed record LinearProbeResult(double Top1, double TrainTop1);

/// <summary>
/// A fitted linear classifier on <b>raw</b> (unstandardised) features: logits = f · <see cref="Weight"/> +
/// <see cref="Bias"/>, with the probe's standardisation folded in, so it can initialise an nn.Linear head
/// (weight = Weightᵀ, bias = Bias). Owns both tensors.
/// </summary>
public sealed class LinearClassifier(Tensor weight, Tensor bias) : IDisposable
{
    /// <summary>[D, C].</summary>
    public Tensor Weight { get; } = weight;

    /// <summary>[C].</summary>
    public Tensor Bias { get; } = bias;

    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}

/// <summary>
/// Linear classification on frozen features: standardise with the training statistics, fit a linear layer with
/// cross-entropy, report top-1. Weights start at zero, so the result depends only on the data and the options.
/// </summary>
public static class LinearProbe
{
    public static LinearProbeResult Evaluate(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, long[] testLabels,
        int numClasses, LinearProbeOptions options)
    {
        Validate(trainFeatures, trainLabels, testFeatures, testLabels, numClasses);
        using var scope = NewDisposeScope();
        var (standardizer, xTrain, yTrain, w, b) = FitStandardized(trainFeatures, trainLabels, numClasses, options);
        using var _ = standardizer;
        var xTest = standardizer.Apply(testFeatures.to(xTrain.device)); // [N_test, D]
        var yTest = tensor(testLabels, ScalarType.Int64, xTrain.device); // [N_test]
        return new LinearProbeResult(Accuracy(xTest, yTest, w, b), Accuracy(xTrain, yTrain, w, b));
    }

    /// <summary>
    /// Fits the probe exactly as <see cref="Evaluate"/> does and returns it as a classifier on raw features: with
    /// standardisation z = (f − μ) / σ, z·W + b = f·(W / σ) + (b − (μ / σ)·W).
    /// </summary>
    public static LinearClassifier Fit(Tensor trainFeatures, long[] trainLabels, int numClasses, LinearProbeOptions options)
    {
        Validate(trainFeatures, trainLabels, trainFeatures, trainLabels, numClasses);
        using var scope = NewDisposeScope();
        var (standardizer, _, _, w, b) = FitStandardized(trainFeatures, trainLabels, numClasses, options);
        using var __ = standardizer;
        using var noGrad = no_grad();
        var std = standardizer.Std.to(w.device);
        var weight = w.div(std.unsqueeze(1)); // [D, C]
        var bias = b.sub(standardizer.Mean.to(w.device).div(std).matmul(w)); // [C]
        return new LinearClassifier(weight.detach().MoveToOuterDisposeScope(), bias.detach().MoveToOuterDisposeScope());
    }

    /// <summary>Standardises the training features and fits (W, b) on them; every tensor lives in the caller's scope.</summary>
    static (FeatureStandardizer Standardizer, Tensor X, Tensor Y, Tensor W, Tensor B) FitStandardized(Tensor trainFeatures, long[] trainLabels,
        int numClasses, LinearProbeOptions options)
    {
        options.Validate();
        var device = trainFeatures.device;
        var standardizer = FeatureStandardizer.Fit(trainFeatures);
        var x = standardizer.Apply(trainFeatures); // [N_train, D]
        var y = tensor(trainLabels, ScalarType.Int64, device); // [N_train]
        var (w, b) = options.Optimizer switch
        {
            ProbeOptimizer.Lbfgs => FitLbfgs(x, y, numClasses, options),
            ProbeOptimizer.AdamW => FitAdamW(x, y, numClasses, options),
            _ => throw new ArgumentException($"linear probe: unknown optimizer {options.Optimizer}"),
        };
        return (standardizer, x, y, w, b);
    }

    static (Tensor W, Tensor B) FitLbfgs(Tensor x, Tensor y, int numClasses, LinearProbeOptions o)
    {
        var (theta, _) = SoftmaxLbfgs.Fit(x, y, numClasses, o.WeightDecay, o.MaxIterations, o.GradientTolerance, o.HistorySize);
        var d = x.shape[1];
        return (theta.narrow(0, 0, d), theta.narrow(0, d, 1).squeeze(0)); // [D, C], [C]
    }

    static (Tensor W, Tensor B) FitAdamW(Tensor x, Tensor y, int numClasses, LinearProbeOptions o)
    {
        var n = x.shape[0];
        var d = x.shape[1];
        var w = new Parameter(zeros([d, numClasses], ScalarType.Float32, x.device)); // [D, C]
        var b = new Parameter(zeros([numClasses], ScalarType.Float32, x.device)); // [C]
        using var optimizer = optim.AdamW(
            [new AdamW.ParamGroup([w], new AdamW.Options { LearningRate = o.LearningRate, weight_decay = o.WeightDecay }),
             new AdamW.ParamGroup([b], new AdamW.Options { LearningRate = o.LearningRate, weight_decay = 0 })],
            o.LearningRate);
        using var generator = new Generator((ulong)o.Seed);
        var stepsPerEpoch = (n + o.BatchSize - 1) / o.BatchSize;
        var totalSteps = o.Epochs * stepsPerEpoch;
        var step = 0;
        using var meter = WorkProgress.Start("linear probe", totalSteps, "steps");
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            using var order = randperm(n, generator: generator).to(x.device); // [N]
            for (long start = 0; start < n; start += o.BatchSize, step++)
            {
                using var stepScope = NewDisposeScope();
                // Cosine decay from the peak rate to 0 over all steps.
                var lr = 0.5 * o.LearningRate * (1 + Math.Cos(Math.PI * step / totalSteps));
                foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
                var rows = order.narrow(0, start, Math.Min(o.BatchSize, n - start)); // [B]
                var logits = x.index_select(0, rows).matmul(w).add(b); // [B, C]
                var loss = nn.functional.cross_entropy(logits, y.index_select(0, rows));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                meter.Advance();
            }
        }
        return (w, b);
    }

    /// <summary>Top-1 accuracy in percent of the linear classifier (W, b) on standardised features.</summary>
    static double Accuracy(Tensor x, Tensor y, Tensor w, Tensor b)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var predicted = x.matmul(w).add(b).argmax(1); // [N]
        return 100.0 * predicted.eq(y).sum().item<long>() / y.shape[0];
    }

    static void Validate(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, long[] testLabels, int numClasses)
    {
        if (trainFeatures.dim() != 2 || testFeatures.dim() != 2 || trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"linear probe: features must be [N, D] with the same D, got train [{string.Join(", ", trainFeatures.shape)}] and test [{string.Join(", ", testFeatures.shape)}]");
        if (trainLabels.Length != trainFeatures.shape[0] || trainLabels.Length == 0)
            throw new ArgumentException($"linear probe: {trainFeatures.shape[0]} train feature rows but {trainLabels.Length} train labels (need ≥ 1)");
        if (testLabels.Length != testFeatures.shape[0] || testLabels.Length == 0)
            throw new ArgumentException($"linear probe: {testFeatures.shape[0]} test feature rows but {testLabels.Length} test labels (need ≥ 1)");
        if (numClasses <= 0) throw new ArgumentException($"linear probe: numClasses must be positive, got {numClasses}");
        foreach (var y in trainLabels)
            if (y < 0 || y >= numClasses)
                throw new ArgumentException($"linear probe: train label {y} outside [0, {numClasses})");
    }
}
