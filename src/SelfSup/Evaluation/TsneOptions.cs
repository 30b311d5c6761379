namespace SelfSup.Evaluation;

/// <summary>How the t-SNE initial layout is chosen.</summary>
public enum TsneInit
{
    /// <summary>First two principal components scaled to standard deviation 1e-4 (keeps global layout; the
    /// default of openTSNE and scikit-learn ≥ 1.2, recommended by Kobak and Berens 2019).</summary>
    Pca,
    /// <summary>Gaussian with standard deviation 1e-4 from the seed (van der Maaten's reference).</summary>
    Random,
}

/// <summary>
/// Exact t-SNE settings (van der Maaten and Hinton 2008). Defaults follow the reference implementation and
/// scikit-learn: perplexity 30, early exaggeration 12 for 250 iterations, 1,000 iterations in all.
/// </summary>
public sealed record TsneOptions
{
    /// <summary>Effective number of neighbours each point's Gaussian covers (2^entropy of its row of P).</summary>
    public double Perplexity { get; init; } = 30;
    /// <summary>Total gradient-descent iterations, early exaggeration included.</summary>
    public int Iterations { get; init; } = 1000;
    /// <summary>P is multiplied by this during the first <see cref="ExaggerationIterations"/> iterations, which pulls
    /// clusters together early so they can move past each other.</summary>
    public double EarlyExaggeration { get; init; } = 12;
    public int ExaggerationIterations { get; init; } = 250;
    /// <summary>Momentum during early exaggeration, then <see cref="FinalMomentum"/>.</summary>
    public double InitialMomentum { get; init; } = 0.5;
    public double FinalMomentum { get; init; } = 0.8;
    /// <summary>Step size; null picks max(N / exaggeration / 4, 50) as openTSNE and scikit-learn do.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Inputs with more columns than this are reduced by PCA first (0 disables it).</summary>
    public int PcaDims { get; init; } = 50;
    public TsneInit Init { get; init; } = TsneInit.Pca;
    /// <summary>Drives the random initial layout.</summary>
    public long Seed { get; init; }
    /// <summary>Report the KL divergence every this many iterations (0: never).</summary>
    public int ReportEvery { get; init; } = 100;

    internal void Validate(long n)
    {
        if (n < 4) throw new ArgumentException($"t-SNE needs at least 4 points, got {n}");
        if (Perplexity <= 1 || Perplexity >= n)
            throw new ArgumentException($"t-SNE perplexity must be in (1, N = {n}), got {Perplexity}");
        if (Iterations <= 0) throw new ArgumentException($"t-SNE iterations must be positive, got {Iterations}");
        if (EarlyExaggeration < 1) throw new ArgumentException($"t-SNE early exaggeration must be ≥ 1, got {EarlyExaggeration}");
        if (ExaggerationIterations < 0) throw new ArgumentException($"t-SNE exaggeration iterations must be ≥ 0, got {ExaggerationIterations}");
        if (LearningRate is <= 0) throw new ArgumentException($"t-SNE learning rate must be positive, got {LearningRate}");
        if (PcaDims < 0) throw new ArgumentException($"t-SNE pca_dims must be ≥ 0, got {PcaDims}");
    }
}
