using System.Text.Json;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Numerics;
using SelfSup.Reporting.Plots;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// PCA options (Pearson 1901; Hotelling 1933). PCA has no paper defaults for images; the defaults are a CPU-friendly
/// embedding width and scikit-learn's randomized-solver settings.
/// </summary>
public sealed record PcaOptions
{
    /// <summary>
    /// k, the principal components kept: the embedding's dimension (128). Any k ≤ min(N, D) is allowed (N the fit's
    /// images, D = C·H·W), so a learned encoder can be compared with PCA at its own width.
    /// </summary>
    public int Components { get; init; } = 128;
    /// <summary>Training images the fit sees: a seeded sample of this many (0: all of them).</summary>
    public int FitSamples { get; init; }
    /// <summary>Whitening: each coordinate divided by its standard deviation on the fit data, √λ (floored at 1e-6 × the largest variance), so every component has unit variance (false: plain projection).</summary>
    public bool Whiten { get; init; }
    /// <summary>The SVD: auto (randomized when N·D exceeds 10⁷ and k &lt; 0.8·min(N, D), exact otherwise), exact (linalg.svd) or randomized (Halko et al. 2011).</summary>
    public SvdSolver Svd { get; init; } = SvdSolver.Auto;
    /// <summary>Randomized SVD: random directions beyond k (Halko et al. §4.2; scikit-learn: 10).</summary>
    public int Oversamples { get; init; } = RandomizedSvd.DefaultOversamples;
    /// <summary>Randomized SVD: power iterations, each re-orthonormalised by QR (Halko et al. §4.5; scikit-learn: 4 to 7).</summary>
    public int PowerIterations { get; init; } = RandomizedSvd.DefaultPowerIterations;
}

/// <summary>
/// Principal component analysis as a linear encoder (Pearson 1901, "On Lines and Planes of Closest Fit to Systems of
/// Points in Space"; Hotelling 1933): fitted once in closed form on the flattened, normalised training pixels (or a
/// seeded sample of them) by the SVD of the centred matrix — exact, or randomized (Halko, Martinsson and Tropp 2011)
/// for large matrices — on the run's device. The representation is the projection onto the first k principal axes,
/// optionally whitened (<see cref="LinearProjectionEncoder"/>); its mean, axes and scale are buffers saved in the
/// checkpoint, so `eval`, `embed` and the random-init twin treat it as any encoder. The twin is the unfitted method:
/// a random orthonormal projection to the same k dimensions. The fit writes the explained-variance curve, the leading
/// axes drawn as images and the explained variances (JSON) into the run folder.
/// </summary>
public sealed class Pca : ClosedFormMethod
{
    /// <summary>The explained variances of the fit (<see cref="AfterFit"/>).</summary>
    public const string VarianceFile = "pca-explained-variance.json";
    /// <summary>The cumulative explained-variance curve.</summary>
    public const string VariancePicture = "pca-explained-variance.png";
    /// <summary>The leading principal axes drawn as images.</summary>
    public const string ComponentsPicture = "pca-components.png";
    /// <summary>Axes drawn in <see cref="ComponentsPicture"/>.</summary>
    public const int PicturedComponents = 16;

    readonly LinearProjectionEncoder projection;
    readonly Tensor variances;
    readonly Tensor total_variance;
    readonly long[] imageShape;
    FitFacts? lastFit;

    /// <summary>What one fit did, for the run folder and the metrics record.</summary>
    sealed record FitFacts(int Samples, SvdSolver Solver, double EmbeddingStd);

    public Pca(int channels, int imageSize, PcaOptions options) : base(nameof(Pca), Unfitted(channels, imageSize, options))
    {
        Options = options;
        projection = (LinearProjectionEncoder)Encoder;
        imageShape = [channels, imageSize, imageSize];
        variances = zeros(projection.EmbeddingDim, dtype: ScalarType.Float64);  // [k], 0 until fitted
        total_variance = zeros([], dtype: ScalarType.Float64);                 // [], 0 until fitted
        RegisterComponents();
    }

    /// <summary>Validates the options and builds the unfitted projection (a random orthonormal one).</summary>
    static LinearProjectionEncoder Unfitted(int channels, int imageSize, PcaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = (long)channels * imageSize * imageSize;
        if (options.Components < 1 || options.Components > d)
            throw new ArgumentException($"pca: components must be in [1, {d}] (D = C·H·W of {channels}×{imageSize}×{imageSize} images), got {options.Components}");
        if (options.FitSamples < 0) throw new ArgumentException($"pca: fit_samples must be ≥ 0 (0: all training images), got {options.FitSamples}");
        if (options.Oversamples < 0) throw new ArgumentException($"pca: oversamples must be ≥ 0, got {options.Oversamples}");
        if (options.PowerIterations < 0) throw new ArgumentException($"pca: power_iterations must be ≥ 0, got {options.PowerIterations}");
        return new LinearProjectionEncoder(channels, imageSize, options.Components);
    }

    public PcaOptions Options { get; }

    /// <summary>The fitted projection (a random orthonormal one before <see cref="Fit"/>).</summary>
    public LinearProjectionEncoder Projection => projection;

    public override Encoder Representation => projection;

    /// <summary>λ [k], the fit data's variance along each kept axis (0 before a fit), saved in the checkpoint.</summary>
    public Tensor Variances => variances;

    /// <summary>trace(C), the fit data's total variance over all D pixel directions (0 before a fit).</summary>
    public double TotalVariance => total_variance.item<double>();

    /// <summary>λᵢ / trace(C) per kept axis.</summary>
    public double[] ExplainedVarianceRatio()
    {
        var total = TotalVariance;
        return variances.cpu().data<double>().Select(v => total > 0 ? v / total : 0).ToArray();
    }

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "pca", "reconstruction",
        "Pearson 1901, On Lines and Planes of Closest Fit to Systems of Points in Space; Hotelling 1933; randomized SVD: Halko, Martinsson and Tropp 2011 (arXiv:0909.4061)",
        "closed form: the first k principal axes of the flattened, normalised training pixels (exact or randomized SVD), optional whitening; the representation is the projection onto them",
        new Recipe
        {
            Source = "closed form: no optimiser, learning rate, schedule or epochs are used; the fit is one SVD (the values here only fill the recipe's fields)",
            Optimizer = OptimizerKind.Sgd, BaseLearningRate = 1, Scaling = LrScaling.None, WeightDecay = 0, WarmupEpochs = 0, Momentum = 0,
        },
        new PcaOptions(),
        // PCA has no backbone: the encoder the run's config built is released unused.
        (ctx, o) =>
        {
            ctx.Encoder.Dispose();
            return new Pca(ctx.Channels, ctx.ImageSize, o);
        },
        (ctx, _) => new PlainImages(ctx.Stats));

    /// <summary>
    /// Fits the axes on the run's training images (all, or a seeded sample of <see cref="PcaOptions.FitSamples"/>),
    /// flattened after the run's normalisation, on the run's device. The exact SVD runs in float64; the randomized one
    /// keeps the large matrix in float32, where the sketch's own error dominates rounding.
    /// </summary>
    public override void Fit(EpochContext context)
    {
        var data = context.Dataset;
        if (data.Channels != imageShape[0] || data.Height != imageShape[1] || data.Width != imageShape[2])
            throw new ArgumentException($"pca: the method was built for [{string.Join(", ", imageShape)}] images, the dataset has [{data.Channels}, {data.Height}, {data.Width}]");
        using var sample = FitSample(data, Options.FitSamples, context.Seed);
        var rows = (sample ?? data).Count;
        var dim = projection.InputDim;
        if (Options.Components > Math.Min(rows, dim))
            throw new ArgumentException($"pca: components ({Options.Components}) must be ≤ min(N, D) = min({rows} fit images, {dim} pixels); lower components or raise fit_samples");
        var solver = Options.Svd == SvdSolver.Auto ? PrincipalAxes.Choose(rows, dim, Options.Components) : Options.Svd;
        using var scope = NewDisposeScope();
        var pixels = Features.RawPixels(sample ?? data, context.Stats);                    // [N, D] float32, CPU
        var x = pixels.to(solver == SvdSolver.Exact ? ScalarType.Float64 : ScalarType.Float32, context.Device); // [N, D]
        pixels.Dispose();
        using var generator = new Generator((ulong)context.Seed, new Device(DeviceType.CPU));
        using var axes = PrincipalAxes.Fit(x, Options.Components, solver, Options.Oversamples, Options.PowerIterations, generator);
        var scale = Options.Whiten ? axes.WhiteningScale(PcaWhitening.DefaultRelativeEpsilon) : ones_like(axes.Variances); // [k]
        projection.Set(axes.Mean, axes.Components, scale);
        using (no_grad())
        {
            variances.copy_(axes.Variances);
            total_variance.fill_(axes.TotalVariance);
        }
        var z = axes.Project(x).mul_(scale);                                                 // [N, k]
        lastFit = new FitFacts(rows, axes.Solver, Monitors.StdOfL2Normalized(z).to(ScalarType.Float64).item<double>());
    }

    /// <summary>
    /// Writes <see cref="VarianceFile"/>, <see cref="VariancePicture"/> and <see cref="ComponentsPicture"/> into the run
    /// folder; returns the fit's embedding_std, cumulative explained variance and sample count for the metrics record.
    /// </summary>
    public override IReadOnlyDictionary<string, double> AfterFit(string runDir)
    {
        var fit = lastFit ?? throw new InvalidOperationException("pca: AfterFit needs a Fit first");
        var ratios = ExplainedVarianceRatio();
        var cumulative = new double[ratios.Length];
        for (int i = 0; i < ratios.Length; i++) cumulative[i] = (i > 0 ? cumulative[i - 1] : 0) + ratios[i];
        Directory.CreateDirectory(runDir);
        var summary = new Dictionary<string, object>
        {
            ["components"] = ratios.Length,
            ["fit_samples"] = fit.Samples,
            ["pixels"] = projection.InputDim,
            ["svd"] = fit.Solver.ToString().ToLowerInvariant(),
            ["whiten"] = Options.Whiten,
            ["total_variance"] = TotalVariance,
            ["explained_variance_total"] = cumulative[^1],
            ["explained_variance"] = variances.cpu().data<double>().ToArray(),
            ["explained_variance_ratio"] = ratios,
            ["cumulative_explained_variance_ratio"] = cumulative,
        };
        File.WriteAllText(Path.Combine(runDir, VarianceFile), JsonSerializer.Serialize(summary, RunConfig.Json));
        PcaPictures.SaveExplainedVariance(ratios, Path.Combine(runDir, VariancePicture));
        using (var images = projection.Components.view([projection.EmbeddingDim, .. imageShape])) // [k, C, H, W]
            PcaPictures.SaveComponents(images, Path.Combine(runDir, ComponentsPicture), PicturedComponents);
        return new Dictionary<string, double>
        {
            ["embedding_std"] = fit.EmbeddingStd,
            ["explained_variance"] = cumulative[^1],
            ["fit_samples"] = fit.Samples,
        };
    }

    /// <summary>A seeded sample of <paramref name="samples"/> rows in dataset order; null when the fit uses every row.</summary>
    static ImageDataset? FitSample(ImageDataset data, int samples, long seed)
    {
        if (samples == 0 || samples >= data.Count) return null;
        var order = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
        new Random((int)seed).Shuffle(order);
        return data.Subset(order[..samples].Order().ToArray());
    }

    /// <summary>The plain normalised images: what the fit sees (the closed-form path never asks for views).</summary>
    sealed class PlainImages(ChannelStats stats) : IViewRecipe
    {
        public Tensor[] Apply(Tensor images, Generator generator) => [stats.ToModelInput(images, images.device)];
    }
}
