using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// Per-dimension z-scoring fitted on training features only and applied unchanged to any other split, so that no
/// statistic of the test set leaks into the probe. Constant dimensions (std ≈ 0, e.g. dead ReLU units) are only
/// centred, not divided by zero.
/// </summary>
public sealed class FeatureStandardizer : IDisposable
{
    const double MinStd = 1e-6;

    FeatureStandardizer(Tensor mean, Tensor std)
    {
        Mean = mean;
        Std = std;
    }

    /// <summary>Per-dimension mean of the training features, [D].</summary>
    public Tensor Mean { get; }

    /// <summary>Per-dimension standard deviation (population) of the training features, 1 where it is ~0, [D].</summary>
    public Tensor Std { get; }

    /// <summary>Measures mean and std of <paramref name="train"/> [N, D].</summary>
    public static FeatureStandardizer Fit(Tensor train)
    {
        if (train.dim() != 2 || train.shape[0] == 0)
            throw new ArgumentException($"standardizer: training features must be a non-empty [N, D] matrix, got [{string.Join(", ", train.shape)}]");
        using var scope = NewDisposeScope();
        var x = train.to(ScalarType.Float32);
        var mean = x.mean([0L]); // [D]
        var std = x.std(0, unbiased: false); // [D]
        std = where(std.gt(MinStd), std, ones_like(std));
        return new FeatureStandardizer(mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary>(x − mean) / std with the training statistics, float32 [N, D] on x's device.</summary>
    public Tensor Apply(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != Mean.shape[0])
            throw new ArgumentException($"standardizer: features must be [N, {Mean.shape[0]}], got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        return x.to(ScalarType.Float32).sub(Mean.to(x.device)).div_(Std.to(x.device)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Mean.Dispose();
        Std.Dispose();
    }
}
