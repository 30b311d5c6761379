using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>How <see cref="PrincipalAxes.Fit"/> computes the singular vectors.</summary>
public enum SvdSolver
{
    /// <summary><see cref="Randomized"/> for large matrices when few components are kept, <see cref="Exact"/> otherwise (<see cref="PrincipalAxes.Choose"/>).</summary>
    Auto,
    /// <summary>libtorch's thin SVD (linalg.svd) of the centred matrix.</summary>
    Exact,
    /// <summary><see cref="RandomizedSvd"/> of the centred matrix.</summary>
    Randomized,
}

/// <summary>
/// The principal axes of the rows of a matrix X [N, D]: the mean μ, the first k right singular vectors of the centred
/// X − μ (the eigenvectors of the covariance C = (X − μ)ᵀ(X − μ)/N) and their variances λᵢ = sᵢ²/N, the eigenvalues
/// of C. The covariance is normalised by N throughout (not N − 1), so the variances are the mean squared coordinates
/// of the fit data. Each axis's sign is fixed so its largest-magnitude loading is positive, which makes the axes
/// independent of the SVD routine's sign choices. Shared by <see cref="PcaProjection"/>, <see cref="PcaWhitening"/>
/// and the PCA method.
/// </summary>
public sealed class PrincipalAxes : IDisposable
{
    /// <summary>Above this many matrix entries N·D, <see cref="SvdSolver.Auto"/> may pick the randomized SVD.</summary>
    public const long RandomizedAboveEntries = 10_000_000;

    /// <summary>
    /// <see cref="SvdSolver.Auto"/> keeps the exact SVD when k exceeds this share of min(N, D): near full rank the
    /// randomized sketch is as large as the matrix's short side and saves nothing (scikit-learn's PCA uses 0.8 too).
    /// </summary>
    public const double RandomizedMaxRankFraction = 0.8;

    PrincipalAxes(Tensor mean, Tensor components, Tensor variances, double totalVariance, int samples, SvdSolver solver)
    {
        Mean = mean;
        Components = components;
        Variances = variances;
        TotalVariance = totalVariance;
        Samples = samples;
        Solver = solver;
    }

    /// <summary>μ [D], the mean row of the fit data.</summary>
    public Tensor Mean { get; }
    /// <summary>The axes as orthonormal rows [k, D], by descending variance.</summary>
    public Tensor Components { get; }
    /// <summary>λ [k], the variance of the fit data along each axis (covariance eigenvalues, normalised by N).</summary>
    public Tensor Variances { get; }
    /// <summary>The total variance of the fit data, trace(C) = Σ over all D directions.</summary>
    public double TotalVariance { get; }
    /// <summary>N, the rows the axes were fitted on.</summary>
    public int Samples { get; }
    /// <summary>The solver that computed the axes (never <see cref="SvdSolver.Auto"/>).</summary>
    public SvdSolver Solver { get; }

    /// <summary>λᵢ / trace(C) per axis: the share of the total variance each axis explains.</summary>
    public double[] ExplainedVarianceRatio()
    {
        var variances = Variances.to(ScalarType.Float64).cpu().data<double>().ToArray();
        return variances.Select(v => TotalVariance > 0 ? v / TotalVariance : 0).ToArray();
    }

    /// <summary>Coordinates (x − μ) Vᵀ [M, k] of rows <paramref name="x"/> [M, D], in the axes' dtype.</summary>
    public Tensor Project(Tensor x)
    {
        using var centred = x.to(Components.dtype) - Mean; // [M, D]
        return centred.matmul(Components.t());             // [M, k]
    }

    /// <summary>
    /// The per-axis factors [k] that give the fit data unit variance: 1/√(λ + ε·λ₁), with λ₁ the largest variance, so
    /// directions without spread (λ ≈ 0) stay near 0 instead of blowing noise up (<paramref name="relativeEpsilon"/> ε).
    /// </summary>
    public Tensor WhiteningScale(double relativeEpsilon)
    {
        if (!(relativeEpsilon >= 0)) throw new ArgumentException($"PCA whitening: relativeEpsilon must be ≥ 0, got {relativeEpsilon}");
        using var scope = NewDisposeScope();
        var floor = relativeEpsilon * Variances.max().to(ScalarType.Float64).item<double>();
        return Variances.add(floor).sqrt_().clamp_min_(double.Epsilon).reciprocal_().MoveToOuterDisposeScope(); // [k]
    }

    /// <summary>The solver <see cref="SvdSolver.Auto"/> picks for <paramref name="rows"/> × <paramref name="columns"/> data and k <paramref name="components"/>.</summary>
    public static SvdSolver Choose(long rows, long columns, int components) =>
        rows * columns > RandomizedAboveEntries && components < RandomizedMaxRankFraction * Math.Min(rows, columns)
            ? SvdSolver.Randomized
            : SvdSolver.Exact;

    /// <summary>
    /// The first <paramref name="components"/> principal axes of the rows of <paramref name="x"/> [N, D] (float32 or
    /// float64; the axes keep its dtype and device), k ≤ min(N, D). Beyond the data's rank (at most N − 1 after
    /// centring) the axes are orthonormal directions of zero variance. The randomized solver draws its test matrix from
    /// <paramref name="generator"/>.
    /// </summary>
    public static PrincipalAxes Fit(Tensor x, int components, SvdSolver solver = SvdSolver.Exact,
        int oversamples = RandomizedSvd.DefaultOversamples, int powerIterations = RandomizedSvd.DefaultPowerIterations, Generator? generator = null)
    {
        if (x.dim() != 2) throw new ArgumentException($"PCA expects a [N, D] matrix, got [{string.Join(", ", x.shape)}]");
        if (!x.is_floating_point()) throw new ArgumentException($"PCA expects a floating-point matrix, got {x.dtype}");
        var (n, d) = (x.shape[0], x.shape[1]);
        if (n < 2) throw new ArgumentException($"PCA needs at least 2 rows, got {n}");
        if (components < 1 || components > Math.Min(n, d))
            throw new ArgumentException($"PCA components must be in [1, {Math.Min(n, d)}] (min(N = {n} rows, D = {d} columns)), got {components}");
        if (solver == SvdSolver.Auto) solver = Choose(n, d, components);
        using var scope = NewDisposeScope();
        var mean = x.mean([0]);                                        // [D]
        var centred = x - mean;                                        // [N, D]
        var (s, vh) = solver == SvdSolver.Randomized ? Randomized(centred, components, oversamples, powerIterations, generator) : Exact(centred);
        var axes = vh.narrow(0, 0, components);                        // [k, D]
        var biggest = axes.abs().argmax(1, keepdim: true);             // [k, 1]
        var signs = axes.gather(1, biggest).sign();                    // [k, 1]
        signs = where(signs == 0, ones_like(signs), signs);
        var variances = s.narrow(0, 0, components).square() / n;      // [k]
        var total = centred.square().sum().to(ScalarType.Float64).item<double>() / n;
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(), (axes * signs).contiguous().MoveToOuterDisposeScope(),
            variances.MoveToOuterDisposeScope(), total, (int)n, solver);
    }

    static (Tensor S, Tensor Vh) Exact(Tensor centred)
    {
        var (_, s, vh) = linalg.svd(centred, fullMatrices: false); // s [r], vh [r, D], r = min(N, D), descending s
        return (s, vh);
    }

    static (Tensor S, Tensor Vh) Randomized(Tensor centred, int components, int oversamples, int powerIterations, Generator? generator)
    {
        var (_, s, vh) = RandomizedSvd.Compute(centred, components, oversamples, powerIterations, generator); // s [k], vh [k, D]
        return (s, vh);
    }

    public void Dispose()
    {
        Mean.Dispose();
        Components.Dispose();
        Variances.Dispose();
    }
}
